-- Trigger on cogdb.tenants: creates a tenant's privacy spend sequence when the tenant is
-- created, and drops it when the tenant is deleted. The sequence exists from the tenant's
-- creation (an admin's transaction), never created by the transaction of an asker: were it
-- created next to a budget row by a join, BEGIN; join; noisy query; ROLLBACK would roll the
-- sequence, and its spend, back with the join. Owned by the function's owner (the schema
-- owner); no privilege is granted on it to anyone. Counts from 0 in micro-epsilon; a
-- sequence never cycles, so at its maximum a charge fails rather than wrapping.
CREATE OR REPLACE FUNCTION cogdb.tenants_privacy_sequence()
    RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_name := 'privacy_spent_' || md5(NEW.id::text);  -- as privacy_spend_sequence
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS cogdb.%I AS bigint MINVALUE 0 START 0 NO CYCLE',
                       v_name);
        EXECUTE format('REVOKE ALL ON SEQUENCE cogdb.%I FROM PUBLIC', v_name);
        EXECUTE format('COMMENT ON SEQUENCE cogdb.%I IS %L', v_name,
                       'A tenant''s privacy spend in micro-epsilon (cogdb.privacy_spend_sequence); '
                       || 'advanced by cogdb.charge_privacy_budget, never rolled back.');
        RETURN NEW;
    END IF;
    EXECUTE format('DROP SEQUENCE IF EXISTS cogdb.%I',
                   'privacy_spent_' || md5(OLD.id::text));
    RETURN OLD;
END
$$;

REVOKE ALL ON FUNCTION cogdb.tenants_privacy_sequence() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.tenants_privacy_sequence() IS
    'Trigger: creates a tenant''s privacy spend sequence with the tenant, drops it with the tenant.';
