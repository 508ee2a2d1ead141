-- cogdb revision 0001 (foundation), downgrade. FROZEN: never edit.
-- Drops what 0001 created but keeps schema cogdb (it holds Alembic's version table) and the
-- cluster-wide roles (other databases may use them). Policies, triggers and constraints go
-- with their tables.
SET LOCAL ROLE cogdb_owner;
-- API functions first: get() returns the memories row type.
DROP FUNCTION cogdb.search(vector, integer, text, text, text, text, text[], timestamptz, timestamptz);
DROP FUNCTION cogdb.remember(text, text, vector, jsonb, text);
DROP FUNCTION cogdb.remember_many(jsonb, public.vector[], text);
DROP FUNCTION cogdb.get(text);
DROP FUNCTION cogdb.forget(text);
DROP FUNCTION cogdb.set_context(text, text);
DROP FUNCTION cogdb.resolve_identity(text, text);
DROP FUNCTION cogdb.create_tenant(text, text, text, text, text);
DROP FUNCTION cogdb.create_user(text, text, text, text);
DROP FUNCTION cogdb.delete_user(text, text);
DROP FUNCTION cogdb.register_model(text, integer, text, text);
DROP TABLE cogdb.identities, cogdb.memories, cogdb.users, cogdb.tenants,
           cogdb.embedding_models, cogdb.settings;
DROP FUNCTION cogdb.check_memory_row();
DROP FUNCTION cogdb.purge_private_memories();
DROP FUNCTION cogdb.new_memory_id();
DROP FUNCTION cogdb.parse_uuid(text, text);
DROP FUNCTION cogdb.allowed_values(text);
DROP FUNCTION cogdb.current_user_id();
DROP FUNCTION cogdb.current_tenant_id();
DROP FUNCTION cogdb.context_stamp();
ALTER DEFAULT PRIVILEGES FOR ROLE cogdb_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
RESET ROLE;
