-- cogdb.memories becomes a table partitioned BY LIST (tenant_id): a tenant that `cogdb
-- maintain` promotes gets a partition of its own (its rows together, its own HNSW index, and
-- a planner that looks at one partition whatever the number of large tenants); every other
-- tenant lives in the DEFAULT partition, which is the table as it was (attached, not copied).
--
-- Generic on purpose: whatever earlier revisions (and branches merged before this one) put on
-- cogdb.memories moves to the new parent unchanged: columns, defaults, CHECKs, keys, indexes,
-- foreign keys in both directions, triggers, policies, grants, comments, statistics targets,
-- and functions that take or return the table's row type. Per-tenant ANN indexes
-- (memories_ann_*) stay on the DEFAULT partition until maintain promotes their tenants.
DO $$
DECLARE
    r record;
    v_old regclass := 'cogdb.memories'::regclass;
    v_after text[] := '{}';     -- statements that re-create what depends on the parent
    v_fks text[] := '{}';       -- (table, statement) pairs that re-create foreign keys
    v_parent text[] := '{}';    -- the parent's keys, indexes, triggers, policies
    v_stmt text;
    i integer;
BEGIN
    -- Views would follow the old table to its new name (the DEFAULT partition): refuse.
    SELECT string_agg(DISTINCT v.oid::regclass::text, ', ') INTO v_stmt
      FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class
     WHERE d.refobjid = v_old AND d.classid = 'pg_rewrite'::regclass AND v.oid <> v_old;
    IF v_stmt IS NOT NULL THEN
        RAISE EXCEPTION 'views on cogdb.memories (%) must be dropped before it is partitioned '
                        'and created again after', v_stmt;
    END IF;

    -- Functions on the row type (get, list_memories, ...): dropped, then created again
    -- against the new table with the same definition, grants and comment.
    FOR r IN SELECT p.oid::regprocedure::text AS sig, pg_get_functiondef(p.oid) AS def,
                    obj_description(p.oid, 'pg_proc') AS note,
                    ARRAY(SELECT a.grantee::regrole::text FROM aclexplode(p.proacl) a
                           WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> 0
                             AND a.grantee <> p.proowner) AS grantees,
                    EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                             WHERE a.grantee = 0) AS public_exec
               FROM pg_proc p
              WHERE p.prorettype = 'cogdb.memories'::regtype
                 OR 'cogdb.memories'::regtype = ANY (p.proargtypes)
    LOOP
        v_after := v_after || r.def
                   || CASE WHEN r.public_exec THEN NULL
                           ELSE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', r.sig) END
                   || CASE WHEN cardinality(r.grantees) > 0
                           THEN format('GRANT EXECUTE ON FUNCTION %s TO %s', r.sig,
                                       array_to_string(r.grantees, ', ')) END
                   || format('COMMENT ON FUNCTION %s IS %L', r.sig, r.note);
        EXECUTE format('DROP FUNCTION %s', r.sig);
    END LOOP;

    -- Foreign keys of other tables that reference memories: dropped, then added again
    -- against the parent (a key of a partitioned table can be referenced) and validated.
    FOR r IN SELECT k.conrelid::regclass::text AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
               FROM pg_constraint k
              WHERE k.confrelid = v_old AND k.contype = 'f' AND k.conrelid <> v_old
    LOOP
        v_fks := v_fks || ARRAY[ARRAY[r.tbl, format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                                                    r.tbl, r.conname, r.def)]];
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;

    -- Policies of other tables whose expressions read memories (relationships' endpoints):
    -- they name the table by oid and would follow it to its new name, a partition no role
    -- but the owner may read. Dropped, then created again against the parent.
    FOR r IN SELECT DISTINCT p.oid, p.polname, p.polrelid::regclass::text AS tbl, p.polpermissive,
                    p.polcmd, p.polroles, pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p JOIN pg_depend d
                 ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
              WHERE d.refobjid = v_old AND p.polrelid <> v_old
    LOOP
        v_after := v_after || format(
            'CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', r.polname, r.tbl,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            (SELECT string_agg(CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(x::regrole::text) END, ', ')
               FROM unnest(r.polroles) x),
            ' USING (' || r.qual || ')', ' WITH CHECK (' || r.wcheck || ')');
        EXECUTE format('DROP POLICY %I ON %s', r.polname, r.tbl);
    END LOOP;

    -- What the parent will carry: keys (the partition's matching ones are attached, not
    -- rebuilt), indexes, triggers, policies.
    FOR r IN SELECT k.conname, pg_get_constraintdef(k.oid) AS def FROM pg_constraint k
              WHERE k.conrelid = v_old AND k.contype IN ('p', 'u', 'x', 'f')
              ORDER BY k.contype DESC, k.conname   -- keys first, then foreign keys
    LOOP
        v_parent := v_parent || format('ALTER TABLE cogdb.memories ADD CONSTRAINT %I %s',
                                       r.conname, r.def);
    END LOOP;
    FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = v_old AND c.relname NOT LIKE 'memories\_ann\_%'
                AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
              ORDER BY c.relname
    LOOP
        v_parent := v_parent || r.def;
    END LOOP;
    FOR r IN SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
              WHERE t.tgrelid = v_old AND NOT t.tgisinternal ORDER BY t.tgname
    LOOP
        v_parent := v_parent || r.def;
        EXECUTE format('DROP TRIGGER %I ON cogdb.memories', r.tgname);
    END LOOP;
    FOR r IN SELECT p.polname, p.polpermissive, p.polcmd, p.polroles,
                    pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p WHERE p.polrelid = v_old ORDER BY p.polname
    LOOP
        v_parent := v_parent || format(
            'CREATE POLICY %I ON cogdb.memories AS %s FOR %s TO %s%s%s', r.polname,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            (SELECT string_agg(CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(x::regrole::text) END, ', ')
               FROM unnest(r.polroles) x),
            ' USING (' || r.qual || ')', ' WITH CHECK (' || r.wcheck || ')');
        EXECUTE format('DROP POLICY %I ON cogdb.memories', r.polname);
    END LOOP;

    -- The old table becomes the DEFAULT partition; its indexes (and their constraints) take its name.
    ALTER TABLE cogdb.memories RENAME TO memories_default;
    FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = v_old AND c.relname NOT LIKE 'memories\_ann\_%'
    LOOP
        EXECUTE format('ALTER INDEX cogdb.%I RENAME TO %I', r.relname,
                       'memories_default_' || substr(r.relname, length('memories_') + 1));
    END LOOP;
    -- The parent: the same columns (defaults, NOT NULL, CHECKs, storage, comments), no rows.
    CREATE TABLE cogdb.memories (LIKE cogdb.memories_default INCLUDING DEFAULTS
        INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS INCLUDING GENERATED
        INCLUDING IDENTITY INCLUDING COMPRESSION) PARTITION BY LIST (tenant_id);
    FOR r IN SELECT a.attname, a.attstattarget FROM pg_attribute a
              WHERE a.attrelid = v_old AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attstattarget IS NOT NULL
    LOOP
        EXECUTE format('ALTER TABLE cogdb.memories ALTER COLUMN %I SET STATISTICS %s',
                       r.attname, r.attstattarget);
    END LOOP;
    ALTER TABLE cogdb.memories ATTACH PARTITION cogdb.memories_default DEFAULT;
    FOREACH v_stmt IN ARRAY v_parent LOOP
        EXECUTE v_stmt;
    END LOOP;

    -- Row security: the parent carries the policies and is forced, as the table was. The
    -- partitions have RLS enabled and no policy, and no role but the owner has privileges on
    -- them: nobody else can read them directly; through the parent, the parent's policies
    -- apply. They are not forced, so the owner (cogdb maintain) can move a tenant's rows.
    ALTER TABLE cogdb.memories ENABLE ROW LEVEL SECURITY;
    ALTER TABLE cogdb.memories_default NO FORCE ROW LEVEL SECURITY;
    FOR r IN SELECT a.grantee::regrole::text AS grantee, string_agg(a.privilege_type, ', ') AS privs
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = v_old AND a.grantee <> c.relowner AND a.grantee <> 0
              GROUP BY 1
    LOOP
        EXECUTE format('GRANT %s ON cogdb.memories TO %s', r.privs, r.grantee);
        EXECUTE format('REVOKE ALL ON cogdb.memories_default FROM %s', r.grantee);
    END LOOP;
    EXECUTE format('COMMENT ON TABLE cogdb.memories IS %L', obj_description(v_old, 'pg_class'));

    FOREACH v_stmt IN ARRAY v_after LOOP
        EXECUTE v_stmt;
    END LOOP;
    -- Validating a foreign key reads both tables as the owner, whom FORCE ROW LEVEL SECURITY
    -- would fence (every row would look missing): the parent is forced only after, and a
    -- forced referencing table is unforced for the moment it takes (inside this transaction;
    -- nobody else sees it).
    FOR i IN 1 .. coalesce(array_length(v_fks, 1), 0) LOOP
        IF (SELECT c.relforcerowsecurity FROM pg_class c WHERE c.oid = v_fks[i][1]::regclass) THEN
            EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', v_fks[i][1]);
            EXECUTE v_fks[i][2];
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', v_fks[i][1]);
        ELSE
            EXECUTE v_fks[i][2];
        END IF;
    END LOOP;
    ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
END
$$;
COMMENT ON TABLE cogdb.memories_default IS
    'The memories of every tenant without a partition of its own (cogdb maintain promotes large tenants out of it). No privileges but the owner''s: read it through cogdb.memories.';
