-- The text index and tenant statistics follow every write to memories; a departing user's
-- private entities and relationships are deleted with them (sql/tables/memories.sql and
-- users.sql hold today's definitions).
CREATE TRIGGER memories_index_text_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_index_text_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER memories_stats_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER memories_stats_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER users_purge_private_knowledge BEFORE DELETE ON cogdb.users
    FOR EACH ROW EXECUTE FUNCTION cogdb.purge_private_knowledge();
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories, entities and relationships and clears the owner of their shared ones.';
