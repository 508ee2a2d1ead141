-- Trigger (BEFORE INSERT OR UPDATE ON entities): what the CHECK constraints cannot say, so a
-- direct INSERT/UPDATE is checked like upsert_entity(): a context is required, the tenant and
-- (on insert) the owner are the context's, an owner never changes (except to NULL when the
-- foreign key clears a deleted user), the id is the one its key derives (entity_id_for), the
-- key never changes, and an embedding matches its model's dimensions. Each refusal names the
-- field.
CREATE OR REPLACE FUNCTION cogdb.check_entity_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid;
    v_dims integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.owner_user_id IS DISTINCT FROM OLD.owner_user_id THEN
        -- Deleting a user clears the owner of their shared entities: the foreign key's action
        -- runs as the table owner, changes nothing else, and needs no context.
        IF current_user = 'cogdb_owner' AND NEW.owner_user_id IS NULL
           AND to_jsonb(NEW) - 'owner_user_id' = to_jsonb(OLD) - 'owner_user_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'owner_user_id cannot be changed'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Upsert a new entity under another key instead.';
    END IF;
    v_tenant := cogdb.require_tenant('writing entities');
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.owner_user_id IS NOT NULL
       AND NEW.owner_user_id IS DISTINCT FROM cogdb.current_user_id() THEN
        RAISE EXCEPTION 'owner_user_id must be the user of the context'
            USING ERRCODE = 'CGA02', COLUMN = 'owner_user_id',
                  HINT = 'Leave owner_user_id out: it defaults to the context''s user.';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.system, NEW.external_id, NEW.id)
                            IS DISTINCT FROM (OLD.system, OLD.external_id, OLD.id) THEN
        RAISE EXCEPTION 'an entity''s key (system, external_id) and id never change'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'Upsert the entity under its new key and merge the old one into it '
                         '(cogdb.merge_entities).';
    END IF;
    IF NEW.id IS DISTINCT FROM cogdb.entity_id_for(NEW.system, NEW.external_id) THEN
        RAISE EXCEPTION 'id must be cogdb.entity_id_for(system, external_id)'
            USING ERRCODE = 'CGV01', COLUMN = 'id',
                  HINT = 'Leave id to cogdb.upsert_entity, which derives it from the key.';
    END IF;
    -- The CHECKs on cogdb.entities, explained with the field (a bare 23514 names no field).
    IF NEW.entity_type IS NULL OR length(NEW.entity_type) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'entity_type must be 1-100 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'entity_type',
                  HINT = 'e.g. customer, person, project; leave it out for thing.';
    END IF;
    IF NEW.name IS NULL OR length(NEW.name) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'name must be 1-500 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'Leave it out to use the external id as the name.';
    END IF;
    IF NEW.visibility IS NULL OR NEW.visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %',
                        coalesce(quote_literal(NEW.visibility), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'tenant: every user of the tenant sees it; private: only its owner.';
    END IF;
    IF jsonb_typeof(NEW.data) IS DISTINCT FROM 'object' OR pg_column_size(NEW.data) > 1048576 THEN
        RAISE EXCEPTION 'data must be a JSON object of at most 1 MiB'
            USING ERRCODE = 'CGV01', COLUMN = 'data',
                  HINT = 'Upserts merge objects key by key; keep large documents elsewhere.';
    END IF;
    IF NEW.visibility = 'private' AND NEW.owner_user_id IS NULL THEN
        RAISE EXCEPTION 'a private entity needs a user in the context'
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'Pass a user to set_context, or use visibility ''tenant''.';
    END IF;
    IF NEW.embedding IS NOT NULL THEN
        SELECT r.name, r.dimensions INTO NEW.model, v_dims FROM cogdb.resolve_model(NEW.model) r;
        IF public.vector_dims(NEW.embedding) <> v_dims THEN
            RAISE EXCEPTION 'embedding has % dimensions; model % needs %',
                            public.vector_dims(NEW.embedding), quote_literal(NEW.model), v_dims
                USING ERRCODE = 'CGV01', COLUMN = 'embedding',
                      HINT = 'Embed with the model named, or pass the model the vector came from.';
        END IF;
        PERFORM cogdb.check_vector(NEW.embedding, 'embedding');
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_entity_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_entity_row() IS
    'Row trigger on entities: the context, tenant, owner, key and embedding rules a CHECK cannot state.';
