-- Step 1 of a promotion (cogdb maintain): an empty table shaped like cogdb.memories, not yet
-- a partition, named partition_name(tenant_id): same columns, defaults, CHECKs, storage and
-- storage parameters (those of memories_default), statistics targets, row security enabled
-- without a policy and no grants (like every partition), and a CHECK that it holds only this
-- tenant (so ATTACH need not scan it). Keys and indexes come after its rows
-- (move_to_partition): built in bulk, not row by row; foreign keys come with ATTACH. Returns
-- the name; a table left by an interrupted promotion is reused.
CREATE OR REPLACE FUNCTION cogdb.prepare_partition(tenant_id uuid) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text := cogdb.partition_name(prepare_partition.tenant_id);
    v_options text;
    r record;
BEGIN
    IF to_regclass(format('cogdb.%I', v_name)) IS NOT NULL THEN
        RETURN v_name;
    END IF;
    SELECT array_to_string(c.reloptions, ', ') INTO v_options
      FROM pg_class c WHERE c.oid = 'cogdb.memories_default'::regclass;
    EXECUTE format('CREATE TABLE cogdb.%I (LIKE cogdb.memories INCLUDING DEFAULTS'
                   ' INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING GENERATED'
                   ' INCLUDING IDENTITY INCLUDING COMPRESSION)%s',
                   v_name, ' WITH (' || nullif(v_options, '') || ')');
    EXECUTE format('ALTER TABLE cogdb.%I ADD CONSTRAINT %I CHECK (tenant_id = %L::uuid)',
                   v_name, v_name || '_tenant_check', prepare_partition.tenant_id);
    FOR r IN SELECT a.attname, a.attstattarget FROM pg_attribute a
              WHERE a.attrelid = 'cogdb.memories'::regclass AND a.attnum > 0
                AND NOT a.attisdropped AND a.attstattarget IS NOT NULL
    LOOP
        EXECUTE format('ALTER TABLE cogdb.%I ALTER COLUMN %I SET STATISTICS %s',
                       v_name, r.attname, r.attstattarget);
    END LOOP;
    EXECUTE format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY', v_name);
    EXECUTE format('COMMENT ON TABLE cogdb.%I IS %L', v_name,
                   'The memories of one tenant that cogdb maintain promoted into a partition of its own. '
                   'No privileges but the owner''s: read it through cogdb.memories.');
    RETURN v_name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.prepare_partition(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.prepare_partition(uuid) IS
    'Step 1 of a promotion: an empty table shaped like cogdb.memories for one tenant, not yet attached.';
