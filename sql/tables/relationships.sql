-- Typed, weighted, time-bounded relationships between nodes of one tenant: memory↔memory,
-- memory↔entity, entity↔entity. Exactly one of from_memory_id/from_entity_id and one of
-- to_memory_id/to_entity_id is set; real foreign keys (ON DELETE CASCADE) make "deleting a
-- node removes its edges" the database's doing.
--
-- Two time axes, never silently deleted:
--   valid_from / valid_to       when the fact held in the world (valid_to NULL: still does);
--   recorded_at / superseded_at when cogdb learned it and when a later record replaced it
--                               (superseded_by names that record).
-- Rows are written once; afterwards only superseded_at/superseded_by are set (and a merge of
-- entities re-points endpoints), which check_relationship_row and the column grants enforce.
-- An active record (current knowledge, open-ended validity) is unique per (from, to, type)
-- among the tenant's shared records, and among each user's private ones.
--
-- Visibility: the tenant fence, the record's own visibility (private to its owner or tenant),
-- and policy relationships__endpoints_visible: a relationship exists for a caller only when
-- the caller can see both of its nodes, so no read (and no traversal) passes through, or
-- reveals, another user's private memory or entity.
CREATE TABLE cogdb.relationships (
    tenant_id      uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id             text NOT NULL DEFAULT 'rel_' || replace(gen_random_uuid()::text, '-', '')
                   CHECK (id ~ '^rel_[0-9a-f]{32}$'),
    from_memory_id text,
    from_entity_id text,
    to_memory_id   text,
    to_entity_id   text,
    type           text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]{0,62}$'),
    strength       real NOT NULL DEFAULT 1 CHECK (strength BETWEEN 0 AND 1),
    confidence     real NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1),
    metadata       jsonb NOT NULL DEFAULT '{}'
                   CHECK (jsonb_typeof(metadata) = 'object' AND pg_column_size(metadata) <= 16384),
    owner_user_id  uuid DEFAULT cogdb.current_user_id(),
    visibility     text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant')),
    valid_from     timestamptz NOT NULL DEFAULT now(),
    valid_to       timestamptz,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    superseded_at  timestamptz,
    superseded_by  text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, from_memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, from_entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, to_memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, to_entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    FOREIGN KEY (tenant_id, superseded_by) REFERENCES cogdb.relationships (tenant_id, id)
        ON DELETE SET NULL (superseded_by),
    CONSTRAINT relationships_one_from CHECK (num_nonnulls(from_memory_id, from_entity_id) = 1),
    CONSTRAINT relationships_one_to CHECK (num_nonnulls(to_memory_id, to_entity_id) = 1),
    CONSTRAINT relationships_private_has_owner
        CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT relationships_valid_in_order CHECK (valid_to > valid_from),
    CONSTRAINT relationships_superseded_in_order CHECK (superseded_at >= recorded_at)
);
-- One active record (current knowledge, open-ended validity) per (from, to, type), among the
-- tenant's shared records and among each user's private ones.
CREATE UNIQUE INDEX relationships_active_key
    ON cogdb.relationships (tenant_id, from_memory_id, from_entity_id, to_memory_id,
                            to_entity_id, type,
                            (CASE WHEN visibility = 'private' THEN owner_user_id END))
    NULLS NOT DISTINCT
    WHERE superseded_at IS NULL AND valid_to IS NULL;
-- No statistics on its owner column: they would hold the uuids of the users who have private
-- relationships, in any caller's EXPLAIN estimates (revision 0039).
ALTER INDEX cogdb.relationships_active_key ALTER COLUMN 7 SET STATISTICS 0;
-- The edges of a node, each way: lookups by node id and the foreign keys' cascades.
CREATE INDEX relationships_from_memory_idx ON cogdb.relationships (tenant_id, from_memory_id)
    WHERE from_memory_id IS NOT NULL;
CREATE INDEX relationships_from_entity_idx ON cogdb.relationships (tenant_id, from_entity_id)
    WHERE from_entity_id IS NOT NULL;
CREATE INDEX relationships_to_memory_idx ON cogdb.relationships (tenant_id, to_memory_id)
    WHERE to_memory_id IS NOT NULL;
CREATE INDEX relationships_to_entity_idx ON cogdb.relationships (tenant_id, to_entity_id)
    WHERE to_entity_id IS NOT NULL;
-- The ranked edges of a node, each way (revision 0039): neighbors() reads a frontier node's
-- relationships in the order a level ranks them (strongest first, then by the other end's
-- reference, byte order) and stops after the level's budget + 1, instead of reading them all
-- to rank them. A node is keyed by its kind (`<end>_memory_id IS NULL`) and cogdb.node_id
-- (the memory or entity id), so one index serves both kinds at each end; node_id's comment
-- says why not the reference itself. The last key, cogdb.node_ref of the other end
-- (memory:<id> or entity:<id>), is the order among equal strengths.
CREATE INDEX relationships_out_ranked_idx ON cogdb.relationships
    (tenant_id, (from_memory_id IS NULL), cogdb.node_id(from_memory_id, from_entity_id),
     strength DESC,
     cogdb.node_ref(to_memory_id, to_entity_id) COLLATE "C");
CREATE INDEX relationships_in_ranked_idx ON cogdb.relationships
    (tenant_id, (to_memory_id IS NULL), cogdb.node_id(to_memory_id, to_entity_id),
     strength DESC,
     cogdb.node_ref(from_memory_id, from_entity_id) COLLATE "C");
-- No statistics on the node keys (the kind, node_id, node_ref): entity ids derive from names
-- and repeat across tenants, and an estimate from another tenant's values would show in any
-- caller's EXPLAIN (the id columns of the table have none either).
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 2 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 3 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_out_ranked_idx ALTER COLUMN 5 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 2 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 3 SET STATISTICS 0;
ALTER INDEX cogdb.relationships_in_ranked_idx ALTER COLUMN 5 SET STATISTICS 0;
CREATE INDEX relationships_superseded_by_idx ON cogdb.relationships (tenant_id, superseded_by)
    WHERE superseded_by IS NOT NULL;
CREATE INDEX relationships_tenant_owner_idx ON cogdb.relationships (tenant_id, owner_user_id);
ALTER TABLE cogdb.relationships ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN from_memory_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN from_entity_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN to_memory_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN to_entity_id SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN type SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN metadata SET STATISTICS 0;
ALTER TABLE cogdb.relationships ALTER COLUMN superseded_by SET STATISTICS 0;
CREATE TRIGGER relationships_check_row BEFORE INSERT OR UPDATE ON cogdb.relationships
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_relationship_row();
CREATE TRIGGER relationships_stats_inserts AFTER INSERT ON cogdb.relationships
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER relationships_stats_deletes AFTER DELETE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER relationships_stats_updates AFTER UPDATE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.relationships ALTER COLUMN tenant_id SET STATISTICS 0;
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
ALTER TABLE cogdb.relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.relationships FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT ON cogdb.relationships TO cogdb_app;
-- Supersession only: a record's content never changes once written.
GRANT UPDATE (superseded_at, superseded_by) ON cogdb.relationships TO cogdb_app;
COMMENT ON TABLE cogdb.relationships IS
    'Typed, weighted, time-bounded relationships between memories and entities of a tenant; superseded, never silently deleted. Fenced by tenant (RLS).';
