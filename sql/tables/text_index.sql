-- The full-text index of hybrid search: one row per memory (question, answer, summary) and
-- per entity (name, type, observations), with a tsvector in the tenant's search.language.
--
-- Why a table of its own: under row-level security the planner does not use an index for
-- a condition whose operator is not leakproof, and tsvector @@ tsquery is not. On
-- cogdb.memories a GIN index would be ignored for every RLS-bound role and the text
-- condition would filter all of the tenant's rows. This table is owner-only (RLS enabled and
-- forced, one policy for cogdb_owner, no grants), so its GIN index (tenant_id and tenant keys)
-- (btree_gin) is usable; it is read only by the definer function cogdb.text_candidates, which
-- filters tenant_id = cogdb.current_tenant_id() and the caller's visibility explicitly and
-- returns references and ranks only. cogdb.hybrid_search then joins them back through the
-- RLS-protected memories and entities, so even a bug in the definer cannot return another
-- tenant's (or another user's private) row.
--
-- Kept by definer statement triggers on memories, entities and entity_observations
-- (cogdb.index_text); owner and visibility are copies of the source row's. Foreign keys
-- delete a row with its memory or entity.
CREATE TABLE cogdb.text_index (
    tenant_id     uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    memory_id     text,
    entity_id     text,
    owner_user_id uuid,
    visibility    text NOT NULL CHECK (visibility IN ('private', 'tenant')),
    language      regconfig NOT NULL,
    tsv           tsvector NOT NULL,
    FOREIGN KEY (tenant_id, memory_id) REFERENCES cogdb.memories (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, entity_id) REFERENCES cogdb.entities (tenant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT text_index_one_node CHECK (num_nonnulls(memory_id, entity_id) = 1)
);
CREATE UNIQUE INDEX text_index_memory_key ON cogdb.text_index (tenant_id, memory_id)
    WHERE memory_id IS NOT NULL;
CREATE UNIQUE INDEX text_index_entity_key ON cogdb.text_index (tenant_id, entity_id)
    WHERE entity_id IS NOT NULL;
-- One GIN index, two columns (revision 0036). The tenant column (uuid equality from
-- btree_gin) finds all of a tenant's rows: the one-pass match of a small tenant, the
-- owner's statements by tenant. The tenant keys (cogdb.text_keys: each lexeme prefixed with
-- the tenant's key) make the posting list of a word one tenant's documents with it, so the
-- bounded matching reads only those (cogdb.text_rows_matching); with (tenant_id, tsv) it
-- read the word's list over the whole database and intersected it with the tenant's.
-- A 128 kB pending list: GIN's fast update appends new entries to a list that every search
-- reads in full until it is merged, which cost a small tenant's text search 1-3 ms at 1-4 MB
-- (measured: 223 pending pages at the default 4 MB); 128 kB bounds that read to 16 pages,
-- for memory writes ~20% slower than with 1 MB (bench/RESULTS.md, Knowledge).
CREATE INDEX text_index_tenant_keys_idx ON cogdb.text_index
    USING gin (tenant_id, cogdb.text_keys(tenant_id, tsv)) WITH (gin_pending_list_limit = 128);
ALTER TABLE cogdb.text_index ALTER COLUMN memory_id SET STATISTICS 0;
ALTER TABLE cogdb.text_index ALTER COLUMN entity_id SET STATISTICS 0;
ALTER TABLE cogdb.text_index ALTER COLUMN tsv SET STATISTICS 0;
ALTER TABLE cogdb.text_index ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.text_index FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.text_index IS
    'The full-text index of hybrid search (memories and entities); owner-only, read through cogdb.text_candidates.';
