-- cogdb revision 0021 (audit_fast): downgrade, written by `python -m tools.freeze 0021` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

REVOKE ALL ON FUNCTION cogdb.audit_rows() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_rows() IS NULL;
-- sql/functions/audit/audit_rows.sql as frozen in revision 0012
-- Statement trigger (AFTER INSERT, UPDATE or DELETE, with its transition table) on every
-- tenant table: appends one audit record per tenant the statement wrote, not one per row
-- (remember_many writes thousands of rows in one statement). The record holds the row keys,
-- the row count, for an UPDATE the names of the columns that changed in any row (compared as
-- JSON, old against new, joined on the key), and for INSERT and UPDATE content_hash: SHA-256
-- over the SHA-256 of each new row's binary form (record_send), in key order. Never content.
-- The record is queued (cogdb.audit_pend) and joins the tenant's chain at commit
-- (cogdb.audit_flush): a rolled-back write leaves no record.
-- Arguments: TG_ARGV[0] the key as an SQL expression over the row `r` (e.g. 'r.id::text');
-- TG_ARGV[1] the tenant (default 'r.tenant_id'). Rows of a tenant that no longer exists are
-- a tenant's deletion cascading: its record is the one on cogdb.tenants, nothing else is
-- appended. Definer: the app has no privilege on the audit tables.
CREATE OR REPLACE FUNCTION cogdb.audit_rows() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text := TG_ARGV[0];
    v_tenant text := coalesce(TG_ARGV[1], 'r.tenant_id');
    v_rows text := CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END;
    g record;
BEGIN
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
        v_rows,
        -- only an UPDATE has both tables: the columns that changed in any row
        CASE WHEN TG_OP <> 'UPDATE' THEN 'SELECT NULL::uuid AS t, NULL::text AS key WHERE false'
             ELSE format($c$
            SELECT o.t, e.key
              FROM (SELECT %1$s AS t, %2$s AS k, to_jsonb(r) AS j FROM old_rows r) o
              JOIN (SELECT %1$s AS t, %2$s AS k, to_jsonb(r) AS j FROM new_rows r) n
                ON n.t = o.t AND n.k = o.k
             CROSS JOIN LATERAL jsonb_each(n.j) e
             WHERE o.j -> e.key IS DISTINCT FROM e.value$c$, v_tenant, v_key) END,
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

RESET ROLE;
