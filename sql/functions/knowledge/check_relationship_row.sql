-- Trigger (BEFORE INSERT OR UPDATE ON relationships): so a direct INSERT is checked like
-- relate(): a context is required, the tenant and owner are the context's, the type is built
-- in or registered for the tenant. After that a record never changes, except that it is
-- superseded (superseded_at/superseded_by, set once), that merge_entities re-points an entity
-- endpoint to the survivor, and that foreign keys clear a deleted user or superseding record.
CREATE OR REPLACE FUNCTION cogdb.check_relationship_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF to_jsonb(NEW) - ARRAY['superseded_at', 'superseded_by', 'from_entity_id',
                                 'to_entity_id', 'owner_user_id']
           IS DISTINCT FROM to_jsonb(OLD) - ARRAY['superseded_at', 'superseded_by',
                                                  'from_entity_id', 'to_entity_id',
                                                  'owner_user_id']
           OR (OLD.superseded_at IS NOT NULL
               AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)
           OR (NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id AND NEW.owner_user_id IS NOT NULL)
           OR (NEW.superseded_by IS DISTINCT FROM OLD.superseded_by
               AND NEW.superseded_by IS NOT NULL AND OLD.superseded_by IS NOT NULL) THEN
            RAISE EXCEPTION 'a relationship record never changes once written; only its supersession is recorded'
                USING ERRCODE = 'CGV01', COLUMN = 'superseded_at',
                      HINT = 'Record the new fact with cogdb.relate(): it supersedes the old record.';
        END IF;
        -- The foreign keys' actions (a deleted user or superseding record) run as the table
        -- owner without a context.
        IF current_user = 'cogdb_owner'
           AND (NEW.from_entity_id, NEW.to_entity_id, NEW.superseded_at)
               IS NOT DISTINCT FROM (OLD.from_entity_id, OLD.to_entity_id, OLD.superseded_at) THEN
            RETURN NEW;
        END IF;
        PERFORM cogdb.require_tenant('writing relationships');
        RETURN NEW;
    END IF;
    v_tenant := cogdb.require_tenant('writing relationships');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF NEW.owner_user_id IS NOT NULL AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private relationship needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF NOT NEW.type = ANY (cogdb.builtin_relationship_types())
       AND NOT EXISTS (SELECT FROM cogdb.relationship_types t WHERE t.name = NEW.type) THEN
        RAISE EXCEPTION 'unknown relationship type %', quote_literal(left(NEW.type, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'type',
                  HINT = 'Use a built-in type (' || array_to_string(cogdb.builtin_relationship_types(), ', ')
                         || ') or register one: cogdb relation-type add <name> '
                         '(cogdb.register_relationship_type).';
    END IF;
    IF NEW.superseded_at IS NOT NULL OR NEW.superseded_by IS NOT NULL THEN
        RAISE EXCEPTION 'a new relationship record cannot be superseded already'
            USING ERRCODE = 'CGV01', COLUMN = 'superseded_at',
                  HINT = 'Leave superseded_at and superseded_by out.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_relationship_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_relationship_row() IS
    'Row trigger on relationships: context, tenant, owner and type on insert; afterwards only supersession (and a merge''s re-pointing) may change a record.';
