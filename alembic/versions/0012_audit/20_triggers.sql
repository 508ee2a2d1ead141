-- The audit triggers on every tenant table and on cogdb.tenants (provisioning): see
-- sql/functions/audit/audit_rows.sql. Three per table: a trigger with transition tables has
-- one event.
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER tenants_audit_inserts AFTER INSERT ON cogdb.tenants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_updates AFTER UPDATE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_deletes AFTER DELETE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER users_audit_inserts AFTER INSERT ON cogdb.users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_updates AFTER UPDATE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_deletes AFTER DELETE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.user_id::text || '/' || r.auth_provider.
CREATE TRIGGER identities_audit_inserts AFTER INSERT ON cogdb.identities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_updates AFTER UPDATE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_deletes AFTER DELETE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER memories_audit_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER sessions_audit_inserts AFTER INSERT ON cogdb.sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_updates AFTER UPDATE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_deletes AFTER DELETE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER events_audit_inserts AFTER INSERT ON cogdb.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_updates AFTER UPDATE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_deletes AFTER DELETE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER working_context_audit_inserts AFTER INSERT ON cogdb.working_context
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_updates AFTER UPDATE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_deletes AFTER DELETE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.memory_id.
CREATE TRIGGER offloaded_contexts_audit_inserts AFTER INSERT ON cogdb.offloaded_contexts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_updates AFTER UPDATE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_deletes AFTER DELETE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER entities_audit_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER entities_audit_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER entities_audit_deletes AFTER DELETE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.entity_id || '/' || r.digest.
CREATE TRIGGER entity_observations_audit_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');
CREATE TRIGGER entity_observations_audit_updates AFTER UPDATE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');
CREATE TRIGGER entity_observations_audit_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER relationships_audit_inserts AFTER INSERT ON cogdb.relationships
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER relationships_audit_updates AFTER UPDATE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER relationships_audit_deletes AFTER DELETE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.name.
CREATE TRIGGER relationship_types_audit_inserts AFTER INSERT ON cogdb.relationship_types
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_updates AFTER UPDATE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_deletes AFTER DELETE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key.
CREATE TRIGGER store_items_audit_inserts AFTER INSERT ON cogdb.store_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_updates AFTER UPDATE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_deletes AFTER DELETE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key || '/' || r.field.
CREATE TRIGGER store_vectors_audit_inserts AFTER INSERT ON cogdb.store_vectors
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_updates AFTER UPDATE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_deletes AFTER DELETE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
