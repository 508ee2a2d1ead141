DROP INDEX cogdb.memories_tenant_model_visibility_idx;
CREATE INDEX memories_tenant_model_visibility_idx
    ON ONLY cogdb.memories (tenant_id, model, visibility, owner_user_id)
    INCLUDE (expires_at);
-- Each partition's index under the name move_to_partition gives it (<partition>_<suffix>),
-- attached: the names survive a downgrade through revision 0009.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT h.inhrelid::regclass AS part, c.relname FROM pg_inherits h
               JOIN pg_class c ON c.oid = h.inhrelid
              WHERE h.inhparent = 'cogdb.memories'::regclass
    LOOP
        EXECUTE format('CREATE INDEX %I ON %s (tenant_id, model, visibility, owner_user_id)'
                       ' INCLUDE (expires_at)',
                       r.relname || '_tenant_model_visibility_idx', r.part);
        EXECUTE format('ALTER INDEX cogdb.memories_tenant_model_visibility_idx ATTACH PARTITION cogdb.%I',
                       r.relname || '_tenant_model_visibility_idx');
    END LOOP;
END
$$;
ALTER TABLE cogdb.memories DROP COLUMN anonymised_at;
