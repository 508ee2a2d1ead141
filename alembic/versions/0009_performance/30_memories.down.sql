DROP TRIGGER memories_check_row_updates ON cogdb.memories;
DROP TRIGGER memories_check_row_inserts ON cogdb.memories;
CREATE TRIGGER memories_check_row BEFORE INSERT OR UPDATE ON cogdb.memories
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_memory_row();
ALTER TABLE cogdb.memories ALTER CONSTRAINT memories_model_fkey NOT DEFERRABLE INITIALLY IMMEDIATE;
