-- The text queue is written by the index_text trigger and emptied by index_queued_text and
-- index_pending_text, all owner code; no other role has any privilege on the table.
DROP POLICY IF EXISTS text_queue__registry_owner ON cogdb.text_queue;
CREATE POLICY text_queue__registry_owner ON cogdb.text_queue
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
