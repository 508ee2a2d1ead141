-- cogdb revision 0001 (foundation): roles, extension, schema ownership. FROZEN: never edit.

-- Cluster-wide roles. Two databases may migrate at once, so a concurrent creation
-- (unique_violation on pg_authid) counts as "already there" too. No downgrade drops a role.
DO $$ BEGIN CREATE ROLE cogdb_owner NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE cogdb_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE cogdb_admin NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE cogdb_auditor NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;

-- pgvector lives in schema public: the pinned search_path of cogdb's functions names it.
DO $$
DECLARE
    v_schema name;
BEGIN
    SELECT n.nspname INTO v_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vector';
    IF v_schema IS NULL THEN
        CREATE EXTENSION vector WITH SCHEMA public;
    ELSIF v_schema <> 'public' THEN
        RAISE EXCEPTION 'cogdb expects the pgvector extension in schema public, found it in %', v_schema
            USING HINT = 'ALTER EXTENSION vector SET SCHEMA public; (pgvector is relocatable)';
    END IF;
END $$;

-- The migrating role acts as cogdb_owner, so everything below is owned by it.
DO $$ BEGIN
    IF NOT pg_has_role(current_user, 'cogdb_owner', 'MEMBER') THEN
        EXECUTE format('GRANT cogdb_owner TO %I', current_user);
    END IF;
END $$;
ALTER SCHEMA cogdb OWNER TO cogdb_owner;
-- Alembic created its version table as the migrating login; cogdb_owner owns everything in
-- the schema, so any member of it can run the next migration.
ALTER TABLE cogdb.alembic_version OWNER TO cogdb_owner;
SET LOCAL ROLE cogdb_owner;
-- Functions are created before the tables that SQL-language bodies refer to.
SET LOCAL check_function_bodies = off;
-- Functions cogdb_owner creates are not executable by PUBLIC unless a file grants it. (A
-- per-schema ALTER DEFAULT PRIVILEGES can only add to the global default, so this is global.)
ALTER DEFAULT PRIVILEGES FOR ROLE cogdb_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
