-- cogdb.memories becomes one plain table again: every promoted tenant's partition is folded
-- back into the DEFAULT partition, which takes the table's name, keys, indexes, triggers,
-- policies, grants and comment; foreign keys of other tables and functions on the row type
-- are re-created against it. The per-tenant indexes on partitions go with them (the
-- earlier maintain builds its partial indexes again).
DO $$
DECLARE
    r record;
    v_parent regclass := 'cogdb.memories'::regclass;
    v_after text[] := '{}';
    v_fks text[] := '{}';
    v_table text[] := '{}';
    v_parts text[] := '{}';
    v_columns text;
    v_stmt text;
    i integer;
BEGIN
    SELECT string_agg(DISTINCT v.oid::regclass::text, ', ') INTO v_stmt
      FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class
     WHERE d.refobjid = v_parent AND d.classid = 'pg_rewrite'::regclass AND v.oid <> v_parent;
    IF v_stmt IS NOT NULL THEN
        RAISE EXCEPTION 'views on cogdb.memories (%) must be dropped first', v_stmt;
    END IF;
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
    FOR r IN SELECT k.conrelid::regclass::text AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
               FROM pg_constraint k
              WHERE k.confrelid = v_parent AND k.contype = 'f' AND k.conparentid = 0
                AND k.conrelid <> v_parent
    LOOP
        v_fks := v_fks || ARRAY[ARRAY[r.tbl, format('ALTER TABLE %s ADD CONSTRAINT %I %s',
                                                    r.tbl, r.conname, r.def)]];
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
    END LOOP;

    -- Policies of other tables that read memories: they depend on the parent, which goes.
    -- Dropped, then created again against the table.
    FOR r IN SELECT DISTINCT p.oid, p.polname, p.polrelid::regclass::text AS tbl, p.polpermissive,
                    p.polcmd, p.polroles, pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p JOIN pg_depend d
                 ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
              WHERE d.refobjid = v_parent AND p.polrelid <> v_parent
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

    -- What the table carries after: the parent's triggers, policies, grants and comment.
    FOR r IN SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
              WHERE t.tgrelid = v_parent AND NOT t.tgisinternal ORDER BY t.tgname
    LOOP
        v_table := v_table || r.def;
    END LOOP;
    FOR r IN SELECT p.polname, p.polpermissive, p.polcmd, p.polroles,
                    pg_get_expr(p.polqual, p.polrelid) AS qual,
                    pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck
               FROM pg_policy p WHERE p.polrelid = v_parent ORDER BY p.polname
    LOOP
        v_table := v_table || format(
            'CREATE POLICY %I ON cogdb.memories AS %s FOR %s TO %s%s%s', r.polname,
            CASE WHEN r.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
            CASE r.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            (SELECT string_agg(CASE WHEN x = 0 THEN 'PUBLIC' ELSE quote_ident(x::regrole::text) END, ', ')
               FROM unnest(r.polroles) x),
            ' USING (' || r.qual || ')', ' WITH CHECK (' || r.wcheck || ')');
    END LOOP;
    FOR r IN SELECT a.grantee::regrole::text AS grantee, string_agg(a.privilege_type, ', ') AS privs
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = v_parent AND a.grantee <> c.relowner AND a.grantee <> 0
              GROUP BY 1
    LOOP
        v_table := v_table || format('GRANT %s ON cogdb.memories TO %s', r.privs, r.grantee);
    END LOOP;
    v_table := v_table || format('COMMENT ON TABLE cogdb.memories IS %L',
                                 obj_description(v_parent, 'pg_class'));

    -- Detach every partition; the parent goes; the DEFAULT partition becomes the table.
    FOR r IN SELECT h.inhrelid::regclass::text AS part FROM pg_inherits h
              WHERE h.inhparent = v_parent AND h.inhrelid <> 'cogdb.memories_default'::regclass
    LOOP
        EXECUTE format('ALTER TABLE cogdb.memories DETACH PARTITION %s', r.part);
        v_parts := v_parts || r.part;
    END LOOP;
    ALTER TABLE cogdb.memories DETACH PARTITION cogdb.memories_default;
    DROP TABLE cogdb.memories;
    ALTER TABLE cogdb.memories_default RENAME TO memories;
    FOR r IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              WHERE i.indrelid = 'cogdb.memories'::regclass AND c.relname LIKE 'memories\_default\_%'
    LOOP
        EXECUTE format('ALTER INDEX cogdb.%I RENAME TO %I', r.relname,
                       'memories_' || substr(r.relname, length('memories_default_') + 1));
    END LOOP;
    FOR r IN SELECT t.tgname FROM pg_trigger t
              WHERE t.tgrelid = 'cogdb.memories'::regclass AND NOT t.tgisinternal
    LOOP
        EXECUTE format('DROP TRIGGER %I ON cogdb.memories', r.tgname);
    END LOOP;
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO v_columns
      FROM pg_attribute a
     WHERE a.attrelid = 'cogdb.memories'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    FOREACH v_stmt IN ARRAY v_parts LOOP
        EXECUTE format('INSERT INTO cogdb.memories (%s) SELECT %s FROM %s', v_columns, v_columns, v_stmt);
        EXECUTE format('DROP TABLE %s', v_stmt);
    END LOOP;
    FOREACH v_stmt IN ARRAY v_table LOOP
        EXECUTE v_stmt;
    END LOOP;
    FOREACH v_stmt IN ARRAY v_after LOOP
        EXECUTE v_stmt;
    END LOOP;
    -- As in the upgrade: validate foreign keys before forcing row security (see there).
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
