-- cogdb revision 0001 (foundation): table privileges. FROZEN: never edit.
-- Function privileges are granted in each function's own file (10_functions.sql).
GRANT USAGE ON SCHEMA cogdb TO cogdb_app, cogdb_admin, cogdb_auditor;
-- The app: DML on tenant data under RLS; read-only on registries; nothing on identities.
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.memories TO cogdb_app;
GRANT SELECT ON cogdb.users, cogdb.tenants, cogdb.embedding_models, cogdb.settings TO cogdb_app;
-- The admin works through definer functions; it may read the registries.
GRANT SELECT ON cogdb.embedding_models, cogdb.settings TO cogdb_admin;
RESET ROLE;
