-- Observations: short facts about an entity ("prefers email", "renewal due in March"), each
-- kept once per entity (the key holds a digest of the text, so long texts stay indexable).
-- They share their entity's visibility: policy entity_observations__visible_entity lets a
-- row through when the caller can see its entity. Deleting an entity deletes its
-- observations; merging moves them to the survivor (cogdb.merge_entities).
CREATE TABLE cogdb.entity_observations (
    tenant_id   uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    entity_id   text NOT NULL,
    observation text NOT NULL
                CHECK (length(observation) BETWEEN 1 AND 2000 AND observation = btrim(observation)),
    digest      uuid NOT NULL GENERATED ALWAYS AS (md5(observation)::uuid) STORED,
    -- clock_timestamp(): observations added in one transaction keep their order.
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, entity_id, digest),
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE
);
ALTER TABLE cogdb.entity_observations ALTER COLUMN entity_id SET STATISTICS 0;
ALTER TABLE cogdb.entity_observations ALTER COLUMN observation SET STATISTICS 0;
CREATE TRIGGER entity_observations_index_text_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entity_observations_index_text_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.index_text();
CREATE TRIGGER entity_observations_stats_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
CREATE TRIGGER entity_observations_stats_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.count_tenant_stats();
-- No statistics on tenant_id: EXPLAIN (any login with SELECT) would estimate another
-- tenant's row count from them (docs/trust-model.md, known limits).
ALTER TABLE cogdb.entity_observations ALTER COLUMN tenant_id SET STATISTICS 0;
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
ALTER TABLE cogdb.entity_observations ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.entity_observations FORCE ROW LEVEL SECURITY;
-- DELETE runs under the same policies as SELECT (cogdb.forget_observations).
GRANT SELECT, INSERT, DELETE ON cogdb.entity_observations TO cogdb_app;
COMMENT ON TABLE cogdb.entity_observations IS
    'Observations (short facts) about an entity, each kept once; visible when the entity is. Fenced by tenant (RLS).';
