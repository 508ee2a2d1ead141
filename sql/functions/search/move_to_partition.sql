-- Step 3 of a promotion (cogdb maintain), one transaction: moves the tenant's rows from the
-- DEFAULT partition into the table prepare_partition made, builds its keys and indexes (the
-- parent's, in bulk), validates the DEFAULT partition's fence (a scan that lets others read
-- and write), attaches the table as the tenant's partition (skipping both scans: its CHECK
-- and the fence prove the bounds) and drops the two constraints. ATTACH adds the parent's
-- foreign keys and checks the moved rows against them, reading users under the tenant's
-- context (enter_tenant): FORCE row security fences the owner too, and the rows are all this
-- tenant's. A foreign key of the table's own, added before, would cost more: attaching it
-- drops its triggers on users and tenants, which locks every tenant's set_context out.
-- The tenant's transactions wait on its gate (tenant_gate), which maintain holds; other
-- tenants read and write on. Returns how many rows moved.
--
-- Foreign keys of other tables that reference memories: deleting the rows from DEFAULT would
-- fire their actions (a CASCADE would delete the referencing rows). maintain therefore runs
-- this with session_replication_role = replica (a superuser's setting), under which those
-- actions do not fire: the keys are back, in the partition, before COMMIT. Without it this
-- refuses unless every such key is DEFERRABLE with NO ACTION (checked at COMMIT).
CREATE OR REPLACE FUNCTION cogdb.move_to_partition(tenant_id uuid) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_part text := cogdb.partition_name(move_to_partition.tenant_id);
    v_fence text := 'memories_default_not_' || left(md5(move_to_partition.tenant_id::text), 16);
    v_columns text;
    v_moved bigint;
    v_blocking text;
    v_caller text[];
    r record;
BEGIN
    IF to_regclass(format('cogdb.%I', v_part)) IS NULL
       OR NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conname = v_fence
                         AND k.conrelid = 'cogdb.memories_default'::regclass) THEN
        RAISE EXCEPTION 'prepare_partition and fence_default_partition come first';
    END IF;
    IF current_setting('session_replication_role') <> 'replica' THEN
        SELECT string_agg(k.conrelid::regclass || '.' || k.conname, ', ') INTO v_blocking
          FROM pg_constraint k
         WHERE k.confrelid = 'cogdb.memories'::regclass AND k.contype = 'f'
           AND k.conparentid = 0 AND (NOT k.condeferrable OR k.confdeltype <> 'a');
        IF v_blocking IS NOT NULL THEN
            RAISE EXCEPTION 'cannot move tenant % out of memories_default: foreign keys % would act on the moved rows',
                            move_to_partition.tenant_id, v_blocking
                USING HINT = 'Run cogdb maintain as a superuser (it moves rows with session_replication_role = replica), or make those keys DEFERRABLE ON DELETE NO ACTION.';
        END IF;
        SET CONSTRAINTS ALL DEFERRED;
    END IF;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
      FROM pg_attribute a
     WHERE a.attrelid = 'cogdb.memories'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format('WITH moved AS (DELETE FROM ONLY cogdb.memories_default WHERE tenant_id = %L::uuid'
                   ' RETURNING %s) INSERT INTO cogdb.%I (%s) SELECT %s FROM moved',
                   move_to_partition.tenant_id, v_columns, v_part, v_columns, v_columns);
    GET DIAGNOSTICS v_moved = ROW_COUNT;

    -- The parent's keys and indexes, built in bulk now that the rows are in; ATTACH adopts them.
    FOR r IN SELECT k.conname, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k
              WHERE k.conrelid = 'cogdb.memories'::regclass AND k.contype IN ('p', 'u', 'x')
    LOOP
        EXECUTE format('ALTER TABLE cogdb.%I ADD CONSTRAINT %I %s', v_part,
                       v_part || '_' || substr(r.conname, length('memories_') + 1), r.def);
    END LOOP;
    FOR r IN SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'cogdb.memories'::regclass
                AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
    LOOP
        EXECUTE regexp_replace(r.def, '^CREATE (UNIQUE )?INDEX \S+ ON ONLY cogdb\.memories ',
                               format('CREATE \1INDEX %I ON cogdb.%I ',
                                      v_part || '_' || substr(r.relname, length('memories_') + 1),
                                      v_part));
    END LOOP;
    EXECUTE format('ALTER TABLE cogdb.memories_default VALIDATE CONSTRAINT %I', v_fence);
    v_caller := cogdb.enter_tenant(move_to_partition.tenant_id);
    EXECUTE format('ALTER TABLE cogdb.memories ATTACH PARTITION cogdb.%I FOR VALUES IN (%L)',
                   v_part, move_to_partition.tenant_id);
    PERFORM cogdb.restore_context(v_caller);
    EXECUTE format('ALTER TABLE cogdb.memories_default DROP CONSTRAINT %I', v_fence);
    EXECUTE format('ALTER TABLE cogdb.%I DROP CONSTRAINT %I', v_part, v_part || '_tenant_check');
    RETURN v_moved;
END
$$;

REVOKE ALL ON FUNCTION cogdb.move_to_partition(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.move_to_partition(uuid) IS
    'Step 3 of a promotion: moves a tenant''s rows from the DEFAULT partition into its own table, builds its keys and indexes, and attaches it.';
