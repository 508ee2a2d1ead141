-- cogdb revision 0003 (adaptive scoped search): count triggers and the sizes of existing
-- memories. FROZEN: never edit.
SET LOCAL ROLE cogdb_owner;
CREATE TRIGGER memories_count_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
CREATE TRIGGER memories_count_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_memory_changes();
RESET ROLE;

-- Existing memories are counted only by a role that bypasses RLS (FORCE RLS hides them from
-- everyone else, the owner included). Otherwise say so: sizes then start from zero.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
        INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
        SELECT m.tenant_id, m.model, count(*) FROM cogdb.memories m GROUP BY 1, 2;
    ELSE
        RAISE NOTICE 'cogdb 0003: existing memories were not counted (run this migration as a '
                     'superuser to count them); tenant sizes for `cogdb maintain` start at zero';
    END IF;
END $$;
