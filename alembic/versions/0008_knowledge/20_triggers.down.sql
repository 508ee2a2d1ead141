DROP TRIGGER memories_index_text_inserts ON cogdb.memories;
DROP TRIGGER memories_index_text_updates ON cogdb.memories;
DROP TRIGGER memories_stats_inserts ON cogdb.memories;
DROP TRIGGER memories_stats_deletes ON cogdb.memories;
DROP TRIGGER memories_stats_updates ON cogdb.memories;
DROP TRIGGER users_purge_private_knowledge ON cogdb.users;
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories and clears the owner of their shared ones.';
