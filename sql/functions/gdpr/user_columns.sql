-- The columns of schema cogdb that name a user, read from the catalog: uuid columns called
-- user_id, *_user_id, *_user or *_by (owner_user_id, context_user, appended_by, updated_by,
-- …) of every table that is not a partition, and users.id itself. One rule that
-- cogdb.user_references counts with and the catalog test compares with the tables that
-- export_user and erase_user cover, so a new table with a user column cannot be forgotten.
-- kept: the audit trail's columns, which an erasure leaves (docs/governance.md, "What the
-- audit trail keeps").
CREATE OR REPLACE FUNCTION cogdb.user_columns()
    RETURNS TABLE (table_name text, column_name text, kept boolean)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.relname::text, a.attname::text, c.relname IN ('audit_records', 'audit_pending')
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'cogdb'
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND a.atttypid = 'uuid'::regtype
       AND (a.attname ~ '^(user_id|.*_user_id|.*_user|.*_by)$'
            OR (c.relname = 'users' AND a.attname = 'id'))
     ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.user_columns() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.user_columns() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.user_columns() IS
    'The columns of schema cogdb that name a user (from the catalog); kept: the audit trail''s, which an erasure leaves.';
