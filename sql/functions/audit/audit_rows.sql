-- Statement trigger (AFTER INSERT, UPDATE or DELETE, with its transition table) on every
-- tenant table: appends one audit record per tenant the statement wrote, not one per row
-- (remember_many writes thousands of rows in one statement). The record holds the row keys,
-- the row count, for an UPDATE the names of the columns that changed in any row, and for
-- INSERT and UPDATE content_hash: SHA-256 over the SHA-256 of each new row's binary form
-- (record_send), in key order. Never content.
-- The record is queued (cogdb.audit_pend) and joins the tenant's chain at commit
-- (cogdb.audit_flush): a rolled-back write leaves no record.
-- Arguments: TG_ARGV[0] the key as an SQL expression over the row `r` (e.g. 'r.id::text');
-- TG_ARGV[1] the tenant (default 'r.tenant_id'). Rows of a tenant that no longer exists are
-- a tenant's deletion cascading: its record is the one on cogdb.tenants, nothing else is
-- appended. Definer: the app has no privilege on the audit tables.
--
-- Two ways to the same record. Tables keyed by their id with the default tenant column
-- (memories, users, sessions, events, entities, relationships, …: TG_ARGV[0] 'r.id' or
-- 'r.id::text', every such id is text or uuid; TG_ARGV[1] absent) run static queries: PL/pgSQL
-- compiles the function per trigger and keeps their plans, so a single write no longer parses
-- and plans a query per statement (bench/RESULTS.md, "Audit trail"). Every other key
-- expression, and every UPDATE, runs its query built with format() and EXECUTE. An UPDATE's
-- changed columns are compared column by column, old against new joined on the key:
-- `IS DISTINCT FROM` for the types whose equality is their value (text, uuid, integers,
-- boolean, timestamptz, jsonb, text[], bytea; vector as real[]), to_jsonb for the others (numeric,
-- floats, interval: what the comparison always was), so no row is turned into JSON (a 384-d
-- embedding was, for every UPDATE).
CREATE OR REPLACE FUNCTION cogdb.audit_rows() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text := TG_ARGV[0];
    v_tenant text := coalesce(TG_ARGV[1], 'r.tenant_id');
    g record;
BEGIN
    IF TG_OP = 'INSERT' AND TG_NARGS = 1 AND v_key IN ('r.id', 'r.id::text') THEN
        FOR g IN SELECT x.t AS tenant_id, count(*)::integer AS n,
                        array_agg(x.k ORDER BY x.k) AS keys,
                        sha256(string_agg(x.h, ''::bytea ORDER BY x.k)) AS content_hash
                   FROM (SELECT r.tenant_id AS t, r.id::text AS k, sha256(record_send(r)) AS h
                           FROM new_rows r) x
                  WHERE EXISTS (SELECT FROM cogdb.tenants tn WHERE tn.id = x.t)
                  GROUP BY x.t
                  ORDER BY x.t
        LOOP
            PERFORM cogdb.audit_pend(g.tenant_id, TG_OP, TG_TABLE_NAME, NULL, g.n, g.keys,
                                     NULL, g.content_hash, NULL);
        END LOOP;
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' AND TG_NARGS = 1 AND v_key IN ('r.id', 'r.id::text') THEN
        FOR g IN SELECT x.t AS tenant_id, count(*)::integer AS n,
                        array_agg(x.k ORDER BY x.k) AS keys
                   FROM (SELECT r.tenant_id AS t, r.id::text AS k FROM old_rows r) x
                  WHERE EXISTS (SELECT FROM cogdb.tenants tn WHERE tn.id = x.t)
                  GROUP BY x.t
                  ORDER BY x.t
        LOOP
            PERFORM cogdb.audit_pend(g.tenant_id, TG_OP, TG_TABLE_NAME, NULL, g.n, g.keys,
                                     NULL, NULL, NULL);
        END LOOP;
        RETURN NULL;
    END IF;
    FOR g IN EXECUTE format($q$
        WITH keyed AS (
            SELECT %1$s AS t, %2$s AS k%3$s FROM %4$I r
        ), changed AS (%5$s
        )
        SELECT x.t AS tenant_id, count(*)::integer AS n, array_agg(x.k ORDER BY x.k) AS keys,
               %6$s AS content_hash,
               (SELECT array_agg(DISTINCT c.key ORDER BY c.key) FROM changed c WHERE c.t = x.t)
                   AS changed
          FROM keyed x
         WHERE %7$s
         GROUP BY x.t
         ORDER BY x.t$q$,
        v_tenant, v_key,
        CASE WHEN TG_OP = 'DELETE' THEN '' ELSE ', sha256(record_send(r)) AS h' END,
        CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END,
        -- only an UPDATE has both tables: the columns that changed in any row
        CASE WHEN TG_OP <> 'UPDATE' THEN 'SELECT NULL::uuid AS t, NULL::text AS key WHERE false'
             ELSE format($c$
            SELECT o.t, c.key
              FROM (SELECT %1$s AS t, %2$s AS k, r AS v FROM old_rows r) o
              JOIN (SELECT %1$s AS t, %2$s AS k, r AS v FROM new_rows r) n
                ON n.t = o.t AND n.k = o.k
             CROSS JOIN LATERAL (VALUES %3$s) c(key, differs)
             WHERE c.differs$c$, v_tenant, v_key,
            (SELECT string_agg(format('(%L, %s)', a.attname, format(
                        CASE WHEN a.atttypid IN ('text'::regtype, 'uuid'::regtype,
                                                 'smallint'::regtype, 'integer'::regtype,
                                                 'bigint'::regtype, 'boolean'::regtype,
                                                 'timestamptz'::regtype, 'jsonb'::regtype,
                                                 'text[]'::regtype, 'bytea'::regtype)
                             THEN '(o.v).%1$I IS DISTINCT FROM (n.v).%1$I'
                             -- pgvector's = is not on this search_path; its cast to real[] is
                             WHEN a.atttypid = 'public.vector'::regtype
                             THEN '(o.v).%1$I::real[] IS DISTINCT FROM (n.v).%1$I::real[]'
                             ELSE 'to_jsonb((o.v).%1$I) IS DISTINCT FROM to_jsonb((n.v).%1$I)'
                        END, a.attname)), ', ' ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped)) END,
        CASE WHEN TG_OP = 'DELETE' THEN 'NULL::bytea'
             ELSE 'sha256(string_agg(x.h, ''''::bytea ORDER BY x.k))' END,
        CASE WHEN TG_TABLE_NAME = 'tenants' THEN 'true'
             ELSE 'EXISTS (SELECT FROM cogdb.tenants tn WHERE tn.id = x.t)' END)
    LOOP
        PERFORM cogdb.audit_pend(g.tenant_id, TG_OP, TG_TABLE_NAME, NULL, g.n, g.keys,
                                 g.changed, g.content_hash, NULL);
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_rows() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_rows() IS
    'Statement trigger on every tenant table: appends one audit record per tenant and statement (keys, count, changed columns, content hash; never content).';
