-- Trigger (BEFORE INSERT ON offloaded_contexts): the text belongs to a memory of context
-- type 'offload' that the context can see (else CGN01, like a missing id), and copies its
-- owner and visibility, which the policies read (they never change for an offload memory:
-- check_memory_row refuses it).
CREATE OR REPLACE FUNCTION cogdb.check_offload_row() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant('offloading a context');
    v_type text;
BEGIN
    IF NEW.tenant_id IS DISTINCT FROM v_tenant THEN
        RAISE EXCEPTION 'tenant_id must be the tenant of the context (%)', v_tenant
            USING ERRCODE = 'CGA02', COLUMN = 'tenant_id',
                  HINT = 'Leave tenant_id out: it defaults to the context''s tenant.';
    END IF;
    SELECT m.context_type, m.owner_user_id, m.visibility
      INTO v_type, NEW.owner_user_id, NEW.visibility
      FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = NEW.memory_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no memory %', coalesce(quote_literal(NEW.memory_id), 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'memory_id',
                  HINT = 'Offload with cogdb.offload_context(), which stores the memory first.';
    END IF;
    IF v_type <> 'offload' THEN
        RAISE EXCEPTION 'memory % has context_type %, not offload', NEW.memory_id, quote_literal(v_type)
            USING ERRCODE = 'CGV01', COLUMN = 'memory_id',
                  HINT = 'Offload with cogdb.offload_context(), which stores the memory first.';
    END IF;
    RETURN NEW;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_offload_row() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_offload_row() IS
    'Row trigger on offloaded_contexts: the text belongs to a visible offload memory, whose owner and visibility it copies.';
