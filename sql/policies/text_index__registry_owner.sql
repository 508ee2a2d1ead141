-- The text index is read and written by the owner only: the index_text triggers, text_candidates
-- (which filters the caller's tenant and visibility itself) and reindex_text. No other role
-- has any privilege on the table. USING (true) is what keeps its GIN index usable: a
-- policy condition would stop the planner from using it for the non-leakproof @@.
DROP POLICY IF EXISTS text_index__registry_owner ON cogdb.text_index;
CREATE POLICY text_index__registry_owner ON cogdb.text_index
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
