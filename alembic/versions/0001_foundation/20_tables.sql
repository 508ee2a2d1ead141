-- cogdb revision 0001 (foundation): tables, triggers, row-level security. FROZEN: never edit.
-- Runs as cogdb_owner. Every key of a tenant table leads with tenant_id.

-- Global settings (not per tenant). Custom GUCs would be changeable by the app and
-- ALTER DATABASE SET is not copied to template clones, so settings live in a table.
CREATE TABLE cogdb.settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    description text NOT NULL
);
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('default_model', '"cogdb-hash-384"', 'embedding model of tenants without their own default'),
    ('search.max_k', '1000', 'largest k that cogdb.search accepts');

-- The registry of embedding models; each memory names the model of its embedding.
CREATE TABLE cogdb.embedding_models (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    dimensions  integer NOT NULL CHECK (dimensions BETWEEN 1 AND 2000),
    metric      text NOT NULL DEFAULT 'cosine' CHECK (metric IN ('cosine')),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO cogdb.embedding_models (name, dimensions, metric, description) VALUES
    ('cogdb-hash-384', 384, 'cosine',
     'built-in dependency-free hashing embedder (cogdb.embedder.HashEmbedder)');

CREATE TABLE cogdb.tenants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    external_id     text UNIQUE CHECK (length(external_id) BETWEEN 1 AND 255),
    mode            text NOT NULL DEFAULT 'personal' CHECK (mode IN ('personal', 'enterprise')),
    isolation_level text NOT NULL DEFAULT 'strict'
                    CHECK (isolation_level IN ('strict', 'shared', 'federated')),
    -- e.g. {"features": {"chat_import": false}}; a missing key means the mode's default.
    settings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    default_model   text REFERENCES cogdb.embedding_models (name),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cogdb.users (
    tenant_id  uuid NOT NULL DEFAULT cogdb.current_tenant_id()
               REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    email      text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320
                                    AND email = lower(email)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT users_tenant_id_email_key UNIQUE (tenant_id, email)
);

-- The directory of authenticated identities: (provider, external id) is unique across the
-- whole deployment, so it cannot lead with tenant_id. Only the owner's definer functions
-- touch it (policy identities__registry_owner; no grants to any other role).
CREATE TABLE cogdb.identities (
    auth_provider text NOT NULL CHECK (length(auth_provider) BETWEEN 1 AND 64),
    external_id   text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 255),
    tenant_id     uuid NOT NULL,
    user_id       uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identities_pkey PRIMARY KEY (auth_provider, external_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES cogdb.users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX identities_tenant_user_idx ON cogdb.identities (tenant_id, user_id);

-- The seeds' MemoryNode, plus owner, visibility, context type, summary, expiry and the
-- embedding with its model. Checks mirror cogdb.check_memory_row(), which explains them.
CREATE TABLE cogdb.memories (
    tenant_id          uuid NOT NULL DEFAULT cogdb.current_tenant_id(),
    id                 text NOT NULL CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
    owner_user_id      uuid DEFAULT cogdb.current_user_id(),
    visibility         text NOT NULL DEFAULT 'tenant'
                       CHECK (visibility = ANY (cogdb.allowed_values('visibility'))),
    conversation_id    text CHECK (length(conversation_id) <= 255),
    sequence_index     integer NOT NULL DEFAULT 0 CHECK (sequence_index >= 0),
    human_content      text NOT NULL DEFAULT '' CHECK (length(human_content) <= 100000),
    assistant_content  text NOT NULL DEFAULT '' CHECK (length(assistant_content) <= 100000),
    summary            text CHECK (length(summary) <= 10000),
    context_type       text NOT NULL DEFAULT 'conversation'
                       CHECK (context_type = ANY (cogdb.allowed_values('context_type'))),
    source             text NOT NULL DEFAULT 'api'
                       CHECK (source = ANY (cogdb.allowed_values('source'))),
    created_at         timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz CHECK (expires_at > created_at),
    intent_type        text CHECK (intent_type = ANY (cogdb.allowed_values('intent_type'))),
    complexity         text CHECK (complexity = ANY (cogdb.allowed_values('complexity'))),
    technical_depth    smallint CHECK (technical_depth BETWEEN 0 AND 10),
    emotional_valence  text
                       CHECK (emotional_valence = ANY (cogdb.allowed_values('emotional_valence'))),
    urgency            text CHECK (urgency = ANY (cogdb.allowed_values('urgency'))),
    conversation_mode  text
                       CHECK (conversation_mode = ANY (cogdb.allowed_values('conversation_mode'))),
    action_required    boolean NOT NULL DEFAULT false,
    has_code           boolean NOT NULL DEFAULT false,
    has_error          boolean NOT NULL DEFAULT false,
    tags               text[] NOT NULL DEFAULT '{}'
                       CHECK (cardinality(tags) <= 64 AND array_ndims(tags) IS DISTINCT FROM 2),
    cluster_id         integer NOT NULL DEFAULT -1 CHECK (cluster_id >= -1),
    cluster_label      text CHECK (length(cluster_label) <= 255),
    cluster_confidence real CHECK (cluster_confidence BETWEEN 0 AND 1),
    access_count       integer NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed      timestamptz,
    model              text NOT NULL REFERENCES cogdb.embedding_models (name),
    embedding          vector NOT NULL CHECK (vector_norm(embedding) > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id) REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    -- Deleting a user clears the owner of their shared memories (their private ones are
    -- deleted first by purge_private_memories); SET NULL names the user column only.
    FOREIGN KEY (tenant_id, owner_user_id) REFERENCES cogdb.users (tenant_id, id)
        ON DELETE SET NULL (owner_user_id),
    CONSTRAINT memories_private_has_owner CHECK (visibility = 'tenant' OR owner_user_id IS NOT NULL),
    CONSTRAINT memories_has_content CHECK (human_content <> '' OR assistant_content <> '')
);
CREATE INDEX memories_tenant_conversation_idx
    ON cogdb.memories (tenant_id, conversation_id, sequence_index);
CREATE INDEX memories_tenant_owner_idx ON cogdb.memories (tenant_id, owner_user_id);
-- The vectors of a 1024-d model are 4 KB: keep them inline rather than TOASTed/compressed
-- (hence at most 2000 dimensions per model).
ALTER TABLE cogdb.memories ALTER COLUMN embedding SET STORAGE PLAIN;
-- No value statistics for content columns: the planner's estimates (visible through EXPLAIN
-- to every tenant) would otherwise reflect other tenants' text.
ALTER TABLE cogdb.memories ALTER COLUMN id SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN human_content SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN assistant_content SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN summary SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN conversation_id SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN tags SET STATISTICS 0;
ALTER TABLE cogdb.memories ALTER COLUMN cluster_label SET STATISTICS 0;
ALTER TABLE cogdb.users ALTER COLUMN email SET STATISTICS 0;

CREATE TRIGGER memories_check_row BEFORE INSERT OR UPDATE ON cogdb.memories
    FOR EACH ROW EXECUTE FUNCTION cogdb.check_memory_row();
CREATE TRIGGER users_purge_private_memories BEFORE DELETE ON cogdb.users
    FOR EACH ROW EXECUTE FUNCTION cogdb.purge_private_memories();

ALTER TABLE cogdb.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE cogdb.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.users FORCE ROW LEVEL SECURITY;
ALTER TABLE cogdb.identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.identities FORCE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.memories FORCE ROW LEVEL SECURITY;
