-- Entities of the knowledge layer: people, projects, customers, anything the assistant keeps
-- facts about. Keyed within the tenant by (system, external_id): system names the source of
-- the key (e.g. 'crm', 'github'); system '' means the key is the entity's name, as assistants
-- and the MCP memory tools name entities. The id is derived from the key
-- (cogdb.entity_id_for), so the same key names the same entity wherever it is written, and
-- the primary key is the key's uniqueness.
-- Written through cogdb.upsert_entity, which merges `data` key by key (cogdb.jsonb_merge) and
-- counts every upsert in update_count. An entity merged into another (cogdb.merge_entities)
-- stays as an alias: merged_into names its survivor, and lookups by its key return the
-- survivor. Observations live in cogdb.entity_observations; relationships in
-- cogdb.relationships. Private entities are visible to their owner only (policies
-- entities__tenant_fence and entities__visible_to_user), like memories.
CREATE TABLE cogdb.entities (
    tenant_id     uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id            text NOT NULL CHECK (id ~ '^ent_[0-9a-f]{32}$'),
    system        text NOT NULL DEFAULT ''
                  CHECK (system = '' OR system ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    external_id   text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 500),
    entity_type   text NOT NULL DEFAULT 'thing' CHECK (length(entity_type) BETWEEN 1 AND 100),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    -- A JSON object; upserts merge nested objects key by key and replace everything else,
    -- so it only grows: up to 1 MiB.
    data          jsonb NOT NULL DEFAULT '{}'
                  CHECK (jsonb_typeof(data) = 'object' AND pg_column_size(data) <= 1048576),
    owner_user_id uuid DEFAULT cogdb.current_user_id(),
    visibility    text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant')),
    update_count  bigint NOT NULL DEFAULT 1 CHECK (update_count >= 1),
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    -- Optional: the entity's embedding (of its name and observations), so that hybrid search
    -- finds it by meaning. Any registered model; checked by check_entity_row.
    model         text REFERENCES cogdb.embedding_models (name),
    embedding     public.vector CHECK (public.vector_norm(embedding) > 0),
    merged_into   text,
    -- The id is derived from the key, so the primary key keeps keys unique: one unique
    -- index, the arbiter of upsert_entity's INSERT … ON CONFLICT.
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT entities_id_from_key CHECK (id = cogdb.entity_id_for(system, external_id)),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    FOREIGN KEY (tenant_id, merged_into) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT entities_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT entities_embedding_has_model CHECK ((embedding IS NULL) = (model IS NULL)),
    CONSTRAINT entities_not_merged_into_itself CHECK (merged_into <> id),
    CONSTRAINT entities_seen_in_order CHECK (last_seen >= first_seen)
);
-- Owned entities only (revision 0022): a full index leading with tenant_id looked as good as
-- the primary key to the planner under the widened fence, and it read a tenant's entities
-- by owner filtering the id; lookups by owner (owner_user_id = …) imply NOT NULL.
CREATE INDEX entities_tenant_owner_idx ON cogdb.entities (tenant_id, owner_user_id)
    WHERE owner_user_id IS NOT NULL;
CREATE INDEX entities_tenant_merged_into_idx ON cogdb.entities (tenant_id, merged_into)
    WHERE merged_into IS NOT NULL;
CREATE INDEX entities_tenant_model_idx ON cogdb.entities (tenant_id, model)
    WHERE embedding IS NOT NULL AND merged_into IS NULL;
ALTER TABLE cogdb.entities ALTER COLUMN embedding SET STORAGE PLAIN;
-- No value statistics for content columns (EXPLAIN shows estimates to every login).
ALTER TABLE cogdb.entities ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN external_id SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN entity_type SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN name SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN data SET STATISTICS 0;
ALTER TABLE cogdb.entities ALTER COLUMN merged_into SET STATISTICS 0;
CREATE TRIGGER entities_check_row BEFORE INSERT OR UPDATE ON cogdb.entities
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_entity_row();
CREATE TRIGGER entities_index_text_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entities_index_text_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entities_stats_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entities_stats_deletes AFTER DELETE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entities_stats_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.entities ALTER COLUMN tenant_id SET STATISTICS 0;
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
ALTER TABLE cogdb.entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entities FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON cogdb.entities TO cogdb_app;
COMMENT ON TABLE cogdb.entities IS
    'Entities of the knowledge layer, keyed by (system, external_id) within the tenant; upserts merge their data. Fenced by tenant (RLS).';
