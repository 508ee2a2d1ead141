-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on events): the event
-- stream is append-only, for every role, the owner and superusers included (the app has no
-- UPDATE, DELETE or TRUNCATE privilege to begin with). Refuses with CGA04. The one
-- exceptions: the deletion of a whole tenant, whose rows cascade here after its tenant row
-- is gone; and a GDPR erasure (cogdb.erase_user), which sets cogdb.erase_user to
-- '<tenant>/<user>' for its own statements: it may delete the events of the user's own
-- sessions (whole sessions), and clear appended_by (when it names the user) and
-- parent_event_id of other events, changing nothing else. The app has no UPDATE or DELETE
-- privilege on events, so the setting opens nothing to it. Definer: it reads the tenants
-- registry.
CREATE OR REPLACE FUNCTION cogdb.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_erase text := coalesce(current_setting('cogdb.erase_user', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = OLD.tenant_id) THEN
            RETURN OLD;  -- the tenant is being deleted: all of its rows go
        END IF;
        IF v_erase = OLD.tenant_id::text || '/' || OLD.owner_user_id::text THEN
            RETURN OLD;  -- an erasure deletes the user's own sessions, whole
        END IF;
    ELSIF TG_OP = 'UPDATE' AND split_part(v_erase, '/', 1) = OLD.tenant_id::text
          AND (NEW.appended_by IS NOT DISTINCT FROM OLD.appended_by
               OR (NEW.appended_by IS NULL AND OLD.appended_by::text = split_part(v_erase, '/', 2)))
          AND (NEW.parent_event_id IS NOT DISTINCT FROM OLD.parent_event_id
               OR NEW.parent_event_id IS NULL)
          AND to_jsonb(NEW) - 'appended_by' - 'parent_event_id'
              = to_jsonb(OLD) - 'appended_by' - 'parent_event_id' THEN
        RETURN NEW;  -- an erasure clears the user's name and links into erased sessions
    END IF;
    RAISE EXCEPTION 'the event stream is append-only: % of events is refused', TG_OP
        USING ERRCODE = 'CGA04',
              HINT = 'Append a new event that corrects or retracts it (its parent_event_id '
                     'names the event it refers to).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS
    'Trigger on events: refuses UPDATE, DELETE and TRUNCATE for every role (append-only); only a whole tenant''s deletion and a GDPR erasure (whole sessions of the user) remove events.';
