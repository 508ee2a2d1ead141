-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on events): the event
-- stream is append-only, for every role, the owner and superusers included (the app has no
-- UPDATE, DELETE or TRUNCATE privilege to begin with). Refuses with CGA04. The one
-- exception is the deletion of a whole tenant, whose rows cascade here after its tenant row
-- is gone. Retention, when it exists, will be the only other way events are removed: in
-- bulk, by the owner, and audited. Definer: it reads the tenants registry.
CREATE OR REPLACE FUNCTION cogdb.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = OLD.tenant_id) THEN
            RETURN OLD;  -- the tenant is being deleted: all of its rows go
        END IF;
    END IF;
    RAISE EXCEPTION 'the event stream is append-only: % of events is refused', TG_OP
        USING ERRCODE = 'CGA04',
              HINT = 'Append a new event that corrects or retracts it (its parent_event_id '
                     'names the event it refers to).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS
    'Trigger on events: refuses UPDATE, DELETE and TRUNCATE for every role (append-only); only a whole tenant''s deletion removes events.';
