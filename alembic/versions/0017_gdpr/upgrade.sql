-- cogdb revision 0017 (gdpr): written by `python -m tools.freeze 0017` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/gdpr/gdpr_user.sql
-- The user a GDPR function acts on: user_id parsed, CGV01 naming the field when it is
-- missing or not a UUID. The user need not exist any more: erasing or exporting an erased
-- user is harmless and finds nothing.
CREATE OR REPLACE FUNCTION cogdb.gdpr_user(user_id text) RETURNS uuid
    LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_user uuid := cogdb.parse_uuid(user_id, 'user_id');
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'user_id is required'
            USING ERRCODE = 'CGV01', COLUMN = 'user_id',
                  HINT = 'Pass the user''s id (UUID); list them with `cogdb user list --tenant <tenant>`.';
    END IF;
    RETURN v_user;
END
$$;

REVOKE ALL ON FUNCTION cogdb.gdpr_user(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.gdpr_user(text) IS
    'The user a GDPR function acts on: user_id parsed, CGV01 naming the field when missing.';
-- <<< sql/functions/gdpr/gdpr_user.sql

-- >>> sql/functions/gdpr/user_columns.sql
-- The columns of schema cogdb that name a user, read from the catalog: uuid columns called
-- user_id, *_user_id, *_user or *_by (owner_user_id, context_user, appended_by, updated_by,
-- …) of every table that is not a partition, and users.id itself. One rule that
-- cogdb.user_references counts with and the catalog test compares with the tables that
-- export_user and erase_user cover, so a new table with a user column cannot be forgotten.
-- kept: the audit trail's columns, which an erasure leaves (docs/governance.md, "What the
-- audit trail keeps").
CREATE OR REPLACE FUNCTION cogdb.user_columns()
    RETURNS TABLE (table_name text, column_name text, kept boolean)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.relname::text, a.attname::text, c.relname IN ('audit_records', 'audit_pending')
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'cogdb'
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND a.atttypid = 'uuid'::regtype
       AND (a.attname ~ '^(user_id|.*_user_id|.*_user|.*_by)$'
            OR (c.relname = 'users' AND a.attname = 'id'))
     ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.user_columns() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.user_columns() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.user_columns() IS
    'The columns of schema cogdb that name a user (from the catalog); kept: the audit trail''s, which an erasure leaves.';
-- <<< sql/functions/gdpr/user_columns.sql

-- >>> sql/functions/gdpr/user_references.sql
-- How many rows of a tenant still name a user, per table and column of cogdb.user_columns()
-- (users.id included): after cogdb.erase_user every row with kept = false is zero, which is
-- the proof that nothing but the audit trail references the user. kept = true rows are the
-- audit trail's (the user's uuid in append-only records: a pseudonym nothing links to the
-- person once the users row and identities are gone; docs/governance.md).
-- Counts in the user's own context (enter_tenant): FORCE RLS fences the owner too, and every
-- row that can name the user is one the user could see (their own, the tenant's, and shared
-- entries of sessions they see); the owner-only tables (identities, memory_accesses,
-- text_index, audit) are the owner's to read. Each count names the tenant as a constant
-- (docs/conventions.md rule 3). Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.user_references(tenant_id text, user_id text)
    RETURNS TABLE (table_name text, column_name text, kept boolean, refs bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_saved text[];
    v_col record;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    FOR v_col IN SELECT * FROM cogdb.user_columns() LOOP
        table_name := v_col.table_name;
        column_name := v_col.column_name;
        kept := v_col.kept;
        EXECUTE format('SELECT count(*) FROM cogdb.%I t WHERE t.tenant_id = %L AND t.%I = %L',
                       v_col.table_name, v_tenant, v_col.column_name, v_user)
           INTO refs;
        RETURN NEXT;
    END LOOP;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.user_references(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.user_references(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.user_references(text, text) IS
    'Rows of a tenant that still name a user, per table and column; after erase_user all but the audit trail''s (kept) are zero.';
-- <<< sql/functions/gdpr/user_references.sql

-- >>> sql/functions/gdpr/refuse_held_user.sql
-- Refuses a GDPR erasure or anonymisation (`action`) while a legal hold keeps the tenant or
-- the user (cogdb.retention_holds): the hold is the legal obligation to keep the data that
-- GDPR's right to erasure yields to (Art. 17(3)(e): establishment, exercise or defence of
-- legal claims). CGF02 names the hold (whose, its reason, when and by whom placed) and how
-- to release it. Runs in the caller's context (the definer function's, inside the tenant).
CREATE OR REPLACE FUNCTION cogdb.refuse_held_user(tenant uuid, user_id uuid, action text)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_hold cogdb.retention_holds;
BEGIN
    SELECT h.* INTO v_hold
      FROM cogdb.retention_holds h
     WHERE h.tenant_id = tenant AND (h.user_id IS NULL OR h.user_id = user_id)
     ORDER BY h.user_id NULLS FIRST
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% refused: a legal hold on %: %', action,
                        CASE WHEN v_hold.user_id IS NULL THEN 'the whole tenant ' || tenant
                             ELSE 'user ' || v_hold.user_id END,
                        v_hold.reason
            USING ERRCODE = 'CGF02', COLUMN = 'user_id',
                  DETAIL = format('placed %s by %s', v_hold.placed_at, v_hold.placed_by),
                  HINT = 'A legal hold keeps the data; release it first (`cogdb retention release --tenant '
                         || tenant || CASE WHEN v_hold.user_id IS NULL THEN ''
                                           ELSE ' --user ' || v_hold.user_id END
                         || '`) when the obligation has ended.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_held_user(uuid, uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_held_user(uuid, uuid, text) IS
    'Refuses (CGF02, naming the hold) a GDPR erasure or anonymisation while a legal hold keeps the tenant or the user.';
-- <<< sql/functions/gdpr/refuse_held_user.sql

-- >>> sql/functions/gdpr/anonymise_memories.sql
-- Anonymises memories of a tenant by id and returns how many: keeps the row (id, owner,
-- visibility, type, source, times, session, counts) and sets human_content '',
-- assistant_content '[anonymised]', summary, conversation_id and cluster_label NULL, tags [],
-- metadata {}, the embedding a fixed unit vector (the text could be approximated from it)
-- and anonymised_at now(); an offloaded context's full text becomes '[anonymised]' too. The
-- one definition of "anonymise a memory" (docs/conventions.md rule 3): retention's anonymise
-- action (cogdb.purge_retention), cogdb.anonymise_user and cogdb.erase_user call it. Runs
-- in the caller's context, whose user must own the memories (memories__owner_updates) or
-- they must be ownerless; names the tenant as a constant (planned per call).
CREATE OR REPLACE FUNCTION cogdb.anonymise_memories(tenant uuid, ids text[]) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_n integer;
BEGIN
    UPDATE cogdb.memories m
       SET human_content = '', assistant_content = '[anonymised]', summary = NULL,
           conversation_id = NULL, cluster_label = NULL, tags = '[]', metadata = '{}',
           embedding = ('[1' || repeat(',0', public.vector_dims(m.embedding) - 1)
                        || ']')::public.vector,
           anonymised_at = now()
     WHERE m.tenant_id = tenant AND m.id = ANY (ids);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE cogdb.offloaded_contexts o
       SET content = '[anonymised]'
     WHERE o.tenant_id = tenant AND o.memory_id = ANY (ids) AND o.content <> '[anonymised]';
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.anonymise_memories(uuid, text[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.anonymise_memories(uuid, text[]) IS
    'Anonymises memories by id (content, summary, tags, metadata and embedding removed, anonymised_at set; offloaded text too): the one rule retention and the GDPR functions share.';
-- <<< sql/functions/gdpr/anonymise_memories.sql

-- >>> sql/functions/retention/purge_retention.sql
-- One bounded batch of a tenant's retention purge, in the caller's transaction: removes or
-- anonymises at most `batch` memories that are due, and returns how many it deleted and
-- anonymised, whether a hold kept anything back (held), and whether it filled the batch
-- (more: call again, in a new transaction, until it is false). Due: expired (expires_at, always
-- deleted), older than the max_age of its most specific policy, or beyond that policy's
-- max_count newest (ranked among the tenant-visible memories, and among each user's private
-- ones), and not anonymised already; the policy's action says delete or anonymise.
-- Anonymise keeps the row (cogdb.anonymise_memories says what it removes). Each batch that
-- changed something leaves a receipt in the audit trail (cogdb.audit_note
-- 'retention.purge': the counts).
-- A legal hold on the tenant stops the purge; one on a user keeps every memory they own.
-- FORCE RLS fences the owner too, and only a memory's owner may change or delete it
-- (memories__owner_updates/_deletes): the batch visits the ownerless memories, then each
-- user's, in their context (enter_tenant). Rows are picked by primary key and changed by id,
-- so a batch holds row locks only, for one short transaction. Names the tenant in every
-- statement (docs/conventions.md rule 3). Definer for cogdb_admin and `cogdb maintain`.
CREATE OR REPLACE FUNCTION cogdb.purge_retention(tenant_id text, batch integer DEFAULT 1000)
    RETURNS TABLE (deleted integer, anonymised integer, held boolean, more boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_held uuid[];
    v_owner uuid;
    v_left integer := batch;
    v_delete text[];
    v_anonymise text[];
    v_n integer;
BEGIN
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'batch must be between 1 and 100000, got %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'batch',
                  HINT = 'How many memories one transaction may change; 1000 is a good start.';
    END IF;
    deleted := 0;
    anonymised := 0;
    more := false;
    v_saved := cogdb.enter_tenant(v_tenant);
    IF EXISTS (SELECT FROM cogdb.retention_holds h
                WHERE h.tenant_id = v_tenant AND h.user_id IS NULL) THEN
        held := true;
        PERFORM cogdb.restore_context(v_saved);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT coalesce(array_agg(h.user_id), '{}') INTO v_held
      FROM cogdb.retention_holds h WHERE h.tenant_id = v_tenant AND h.user_id IS NOT NULL;
    held := cardinality(v_held) > 0;
    FOR v_owner IN
        SELECT NULL::uuid
        UNION ALL
        (SELECT u.id FROM cogdb.users u
          WHERE u.tenant_id = v_tenant AND u.id <> ALL (v_held) ORDER BY u.id)
    LOOP
        EXIT WHEN v_left <= 0;
        PERFORM set_config('app.user_id', coalesce(v_owner::text, ''), true);
        WITH governed AS (
            SELECT m.id, m.owner_user_id, m.created_at, m.expires_at, m.anonymised_at,
                   p.max_age, p.max_count, p.action,
                   row_number() OVER (PARTITION BY p.context_type, p.source, m.visibility
                                      ORDER BY m.created_at DESC, m.id DESC) AS newest
              FROM cogdb.memories m
              LEFT JOIN LATERAL (
                  SELECT q.context_type, q.source, q.max_age, q.max_count, q.action
                    FROM cogdb.retention_policies q
                   WHERE q.tenant_id = v_tenant
                     AND q.context_type IN (m.context_type, '*') AND q.source IN (m.source, '*')
                   ORDER BY q.context_type = '*', q.source = '*'
                   LIMIT 1) p ON true
             WHERE m.tenant_id = v_tenant
        ), due AS (
            SELECT g.id, coalesce(g.expires_at <= now() OR g.action = 'delete', false) AS remove
              FROM governed g
             WHERE g.owner_user_id IS NOT DISTINCT FROM v_owner
               AND (g.expires_at <= now()
                    OR (g.anonymised_at IS NULL
                        AND (g.created_at <= now() - g.max_age OR g.newest > g.max_count)))
             ORDER BY g.id
             LIMIT v_left
        )
        SELECT array_agg(d.id) FILTER (WHERE d.remove),
               array_agg(d.id) FILTER (WHERE NOT d.remove)
          INTO v_delete, v_anonymise
          FROM due d;
        IF v_delete IS NOT NULL THEN
            DELETE FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.id = ANY (v_delete);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            deleted := deleted + v_n;
            v_left := v_left - cardinality(v_delete);
        END IF;
        IF v_anonymise IS NOT NULL THEN
            v_n := cogdb.anonymise_memories(v_tenant, v_anonymise);
            anonymised := anonymised + v_n;
            v_left := v_left - cardinality(v_anonymise);
        END IF;
    END LOOP;
    more := v_left <= 0;
    -- The batch's receipt in the audit trail (counts, no content; the row records name the
    -- memories): only for a batch that changed something, so a scheduled purge with nothing
    -- due leaves no trace.
    IF deleted + anonymised > 0 THEN
        PERFORM set_config('app.user_id', '', true);
        PERFORM cogdb.audit_note('retention.purge', jsonb_build_object(
            'deleted', deleted, 'anonymised', anonymised, 'held', held, 'more', more,
            'batch', batch));
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.purge_retention(text, integer) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS
    'One bounded batch of a tenant''s retention purge: deletes or anonymises at most batch due memories (expired, over-age, over-count), skipping what legal holds keep; more = call again.';
-- <<< sql/functions/retention/purge_retention.sql

-- >>> sql/functions/sessions/refuse_event_change.sql
-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on events): the event
-- stream is append-only, for every role, the owner and superusers included (the app has no
-- UPDATE, DELETE or TRUNCATE privilege to begin with). Refuses with CGA04. The one
-- exceptions: the deletion of a whole tenant, whose rows cascade here after its tenant row
-- is gone; and a GDPR erasure (cogdb.erase_user), which sets cogdb.erase_user to
-- '<tenant>/<user>' for its own statements: it may delete the events of the user's own
-- sessions (whole sessions), and clear appended_by (when it names the user) and
-- parent_event_id of other events, changing nothing else. The app has no UPDATE or DELETE
-- privilege on events, so the setting opens nothing to it. Definer: it reads the tenants
-- registry.
CREATE OR REPLACE FUNCTION cogdb.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_erase text := coalesce(current_setting('cogdb.erase_user', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = OLD.tenant_id) THEN
            RETURN OLD;  -- the tenant is being deleted: all of its rows go
        END IF;
        IF v_erase = OLD.tenant_id::text || '/' || OLD.owner_user_id::text THEN
            RETURN OLD;  -- an erasure deletes the user's own sessions, whole
        END IF;
    ELSIF TG_OP = 'UPDATE' AND split_part(v_erase, '/', 1) = OLD.tenant_id::text
          AND (NEW.appended_by IS NOT DISTINCT FROM OLD.appended_by
               OR (NEW.appended_by IS NULL AND OLD.appended_by::text = split_part(v_erase, '/', 2)))
          AND (NEW.parent_event_id IS NOT DISTINCT FROM OLD.parent_event_id
               OR NEW.parent_event_id IS NULL)
          AND to_jsonb(NEW) - 'appended_by' - 'parent_event_id'
              = to_jsonb(OLD) - 'appended_by' - 'parent_event_id' THEN
        RETURN NEW;  -- an erasure clears the user's name and links into erased sessions
    END IF;
    RAISE EXCEPTION 'the event stream is append-only: % of events is refused', TG_OP
        USING ERRCODE = 'CGA04',
              HINT = 'Append a new event that corrects or retracts it (its parent_event_id '
                     'names the event it refers to).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS
    'Trigger on events: refuses UPDATE, DELETE and TRUNCATE for every role (append-only); only a whole tenant''s deletion and a GDPR erasure (whole sessions of the user) remove events.';
-- <<< sql/functions/sessions/refuse_event_change.sql

-- >>> sql/functions/provisioning/set_tenant_setting.sql
-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. default_model (a registered model's name, or NULL for the
-- deployment's default) sets the tenant's default embedding model. search.language (a text
-- search configuration such as english, german or simple) is the language of the tenant's
-- full-text index and queries; changing it indexes the tenant's text again (reindex_text).
-- gdpr.erase_shared (anonymise, the default, or delete) is what cogdb.erase_user does to the
-- tenant-visible content an erased user authored.
-- Definer for cogdb_admin: the app role has no UPDATE on cogdb.tenants and so can never
-- change its own tenant's settings.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_setting(tenant_id text, key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_type text := CASE key WHEN 'features.chat_import' THEN 'boolean'
                            WHEN 'default_model' THEN 'string'
                            WHEN 'search.language' THEN 'string'
                            WHEN 'gdpr.erase_shared' THEN 'string' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import, default_model, search.language, gdpr.erase_shared',
                        coalesce(quote_literal(left(key, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'key',
                  HINT = 'e.g. cogdb tenant set <tenant> features.chat_import=false';
    END IF;
    IF value IS NOT NULL AND jsonb_typeof(value) IS DISTINCT FROM v_type THEN
        RAISE EXCEPTION '% must be a %, got %', key, v_type, left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'Pass a JSON ' || v_type || ', or NULL for the default.';
    END IF;
    IF key = 'default_model' AND value IS NOT NULL AND NOT EXISTS (
           SELECT FROM cogdb.embedding_models m WHERE m.name = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown embedding model %', quote_literal(value #>> '{}')
            USING ERRCODE = 'CGV02', COLUMN = 'value',
                  HINT = 'List models with `cogdb model list`; register one with `cogdb model register`.';
    END IF;
    IF key = 'gdpr.erase_shared' AND value IS NOT NULL
       AND value #>> '{}' NOT IN ('anonymise', 'delete') THEN
        RAISE EXCEPTION 'gdpr.erase_shared must be anonymise or delete, got %', left(value::text, 60)
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'anonymise (the default) keeps an erased user''s tenant-visible content anonymised; delete removes it.';
    END IF;
    IF key = 'search.language' AND value IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_ts_config c WHERE c.cfgname = value #>> '{}') THEN
        RAISE EXCEPTION 'unknown text search configuration %', quote_literal(left(value #>> '{}', 60))
            USING ERRCODE = 'CGV01', COLUMN = 'value',
                  HINT = 'List them with: SELECT cfgname FROM pg_ts_config; e.g. english, german, simple.';
    END IF;
    UPDATE cogdb.tenants t
       SET default_model = CASE WHEN key = 'default_model' THEN value #>> '{}'
                                ELSE t.default_model END,
           settings = CASE WHEN key = 'default_model' THEN t.settings
                           WHEN value IS NULL THEN t.settings #- v_path
                           ELSE jsonb_set(jsonb_set(t.settings, v_path[1:1],
                                                    coalesce(t.settings -> v_path[1], '{}'), true),
                                          v_path, value, true) END
     WHERE t.id = v_tenant
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_tenant::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'tenant_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF key = 'search.language' THEN
        PERFORM cogdb.reindex_text(v_tenant);
    END IF;
    RETURN cogdb.effective_settings(v_row.mode, v_row.settings);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS
    'Changes one setting of a tenant and returns the tenant''s effective settings.';
-- <<< sql/functions/provisioning/set_tenant_setting.sql

-- >>> sql/functions/gdpr/export_user.sql
-- Everything cogdb holds about a user of a tenant (GDPR Art. 15 and 20), as one JSON
-- document a person can read: the users row and identities; memories they own (private or
-- tenant-visible; without the embedding, which is derived from the text); their entities
-- with the observations of those entities, and relationships they own; sessions they own
-- with all their events, and events they appended to other sessions; working-context
-- entries they own or last wrote; offloaded texts of their memories; their memory accesses;
-- legal holds on them; and the audit records about them (their context user, or their
-- users/identities rows, or notes naming them), without hashes. "manifest" counts the rows
-- per section. The export itself leaves a note in the audit trail ('gdpr.export', the
-- manifest). Reads in the user's own context (enter_tenant): every row that names the user
-- is one they can see (cogdb.user_references). Definer for cogdb_admin.
CREATE OR REPLACE FUNCTION cogdb.export_user(tenant_id text, user_id text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_key text := v_user::text;
    v_saved text[];
    v_sessions uuid[];
    v_data jsonb;
    v_manifest jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    SELECT coalesce(array_agg(s.id), '{}') INTO v_sessions
      FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.owner_user_id = v_user;
    v_data := jsonb_build_object(
        'users', (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]')
                    FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user),
        'identities', (SELECT coalesce(jsonb_agg(to_jsonb(i) ORDER BY i.auth_provider, i.external_id), '[]')
                         FROM cogdb.identities i WHERE i.tenant_id = v_tenant AND i.user_id = v_user),
        'memories', (SELECT coalesce(jsonb_agg(to_jsonb(m) - 'embedding' ORDER BY m.created_at, m.id), '[]')
                       FROM cogdb.memories m WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user),
        'offloaded_contexts', (SELECT coalesce(jsonb_agg(to_jsonb(o) ORDER BY o.memory_id), '[]')
                                 FROM cogdb.offloaded_contexts o
                                WHERE o.tenant_id = v_tenant AND o.owner_user_id = v_user),
        'entities', (SELECT coalesce(jsonb_agg(to_jsonb(e) - 'embedding' ORDER BY e.id), '[]')
                       FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user),
        'entity_observations', (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.entity_id, x.created_at), '[]')
                                  FROM cogdb.entity_observations x
                                  JOIN cogdb.entities e ON e.tenant_id = x.tenant_id AND e.id = x.entity_id
                                 WHERE x.tenant_id = v_tenant AND e.tenant_id = v_tenant
                                   AND e.owner_user_id = v_user),
        'relationships', (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.recorded_at, r.id), '[]')
                            FROM cogdb.relationships r
                           WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user),
        'sessions', (SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY s.started_at, s.id), '[]')
                       FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.id = ANY (v_sessions)),
        'events', (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.session_id, e.seq), '[]')
                     FROM cogdb.events e
                    WHERE e.tenant_id = v_tenant
                      AND (e.session_id = ANY (v_sessions) OR e.appended_by = v_user)),
        'working_context', (SELECT coalesce(jsonb_agg(to_jsonb(w) ORDER BY w.created_at, w.id), '[]')
                              FROM cogdb.working_context w
                             WHERE w.tenant_id = v_tenant
                               AND (w.owner_user_id = v_user OR w.updated_by = v_user)),
        'memory_accesses', (SELECT coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' ORDER BY a.accessed_at), '[]')
                              FROM cogdb.memory_accesses a
                             WHERE a.tenant_id = v_tenant AND a.owner_user_id = v_user),
        'retention_holds', (SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.placed_at), '[]')
                              FROM cogdb.retention_holds h
                             WHERE h.tenant_id = v_tenant AND h.user_id = v_user),
        'audit_records', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                    'seq', a.seq, 'recorded_at', a.recorded_at, 'login', a.login,
                                    'context_user', a.context_user, 'operation', a.operation,
                                    'table_name', a.table_name, 'action', a.action,
                                    'row_count', a.row_count, 'row_keys', a.row_keys,
                                    'changed_columns', a.changed_columns, 'details', a.details)
                                  ORDER BY a.seq), '[]')
                            FROM cogdb.audit_records a
                           WHERE a.tenant_id = v_tenant
                             AND (a.context_user = v_user
                                  OR a.details ->> 'user_id' = v_key
                                  OR (a.table_name IN ('users', 'identities', 'retention_holds')
                                      AND EXISTS (SELECT FROM unnest(a.row_keys) k
                                                   WHERE k = v_key OR k LIKE v_key || '/%')))));
    SELECT jsonb_object_agg(k, jsonb_array_length(v_data -> k) ORDER BY k) INTO v_manifest
      FROM jsonb_object_keys(v_data) k;
    PERFORM set_config('app.user_id', '', true);
    PERFORM cogdb.audit_note('gdpr.export', jsonb_build_object('user_id', v_user,
                                                               'manifest', v_manifest));
    PERFORM cogdb.restore_context(v_saved);
    RETURN jsonb_build_object('format', 'cogdb.user_export.v1', 'tenant_id', v_tenant,
                              'user_id', v_user, 'exported_at', now(),
                              'manifest', v_manifest) || v_data;
END
$$;

REVOKE ALL ON FUNCTION cogdb.export_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.export_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.export_user(text, text) IS
    'Everything cogdb holds about a user (memories, knowledge, sessions, events, working context, identities, audit records about them) as readable JSON with a manifest of counts; audited.';
-- <<< sql/functions/gdpr/export_user.sql

-- >>> sql/functions/gdpr/anonymise_user.sql
-- Anonymises a user of a tenant (the seeds' anonymize_user_data) in one transaction: keeps
-- every row and removes what identifies the person. Their memories, private and
-- tenant-visible, are anonymised like retention's anonymise action
-- (cogdb.anonymise_memories: content, summary, tags, metadata and embedding gone,
-- anonymised_at set; offloaded texts too); their private working-context values become
-- null; their identities (provider, external id) are deleted; the users row keeps its id
-- and gets an email that names no one (anonymised+<random>@anonymised.invalid). Entities,
-- relationships, sessions and events are left as they are (docs/governance.md says why and
-- when to erase instead). Returns the receipt it leaves in the audit trail
-- (cogdb.audit_note 'gdpr.anonymise': counts, never content). Refused under a legal hold on
-- the tenant or the user (CGF02). Anonymising twice is harmless (nothing left to change).
-- Definer for cogdb_admin; names the tenant as a constant (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.anonymise_user(tenant_id text, user_id text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_saved text[];
    v_ids text[];
    v_n integer;
    v_counts jsonb := '{}';
    v_receipt jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    PERFORM cogdb.refuse_held_user(v_tenant, v_user, 'anonymise');
    IF NOT EXISTS (SELECT FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user) THEN
        RAISE EXCEPTION 'no user % in tenant %', v_user, v_tenant
            USING ERRCODE = 'CGN01', COLUMN = 'user_id',
                  HINT = 'List users with `cogdb user list --tenant <tenant>`.';
    END IF;
    SELECT array_agg(m.id) INTO v_ids
      FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user AND m.anonymised_at IS NULL;
    v_counts := v_counts || jsonb_build_object(
        'memories.anonymised', coalesce(cogdb.anonymise_memories(v_tenant, v_ids), 0));
    UPDATE cogdb.working_context w SET value = 'null', version = w.version + 1,
                                       updated_at = now()
     WHERE w.tenant_id = v_tenant AND w.owner_user_id = v_user AND w.value <> 'null';
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('working_context.anonymised', v_n);
    DELETE FROM cogdb.identities i WHERE i.tenant_id = v_tenant AND i.user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('identities.deleted', v_n);
    UPDATE cogdb.users u
       SET email = 'anonymised+' || replace(gen_random_uuid()::text, '-', '') || '@anonymised.invalid'
     WHERE u.tenant_id = v_tenant AND u.id = v_user AND u.email NOT LIKE 'anonymised+%@anonymised.invalid';
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('users.anonymised', v_n);
    v_receipt := jsonb_build_object('user_id', v_user, 'counts', v_counts);
    PERFORM cogdb.audit_note('gdpr.anonymise', v_receipt);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_receipt;
END
$$;

REVOKE ALL ON FUNCTION cogdb.anonymise_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.anonymise_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.anonymise_user(text, text) IS
    'Anonymises a user (rows kept): memories anonymised, private working context cleared, identities deleted, email replaced; returns and audits a receipt of counts.';
-- <<< sql/functions/gdpr/anonymise_user.sql

-- >>> sql/functions/gdpr/erase_user.sql
-- Erases a user of a tenant (GDPR Art. 17) in one transaction and returns the receipt it
-- also leaves in the audit trail (cogdb.audit_note 'gdpr.erase': the user's uuid, the
-- tenant policy applied and counts per table, never content). What happens per table is in
-- docs/governance.md; in short:
--   sessions the user owns go whole, with their events (the event stream is append-only
--   and gapless per session, so it loses whole sessions, never single events); what points
--   into them from elsewhere (memories.session_id, child sessions, events' parent_event_id)
--   is cleared, and events the user appended to other sessions keep their payload but lose
--   appended_by (refuse_event_change lets exactly these changes through while this function
--   runs: setting cogdb.erase_user);
--   private memories, entities, relationships, working-context entries: deleted;
--   tenant-visible memories, entities and relationships the user authored: the tenant's
--   setting gdpr.erase_shared decides: 'anonymise' (the default) anonymises the memories
--   (cogdb.anonymise_memories) and keeps all three without an owner; 'delete' deletes them;
--   offloaded texts, the text index and the access log lose the user; identities and the
--   users row are deleted; working-context entries the user last wrote lose updated_by.
-- Afterwards cogdb.user_references counts no row outside the audit trail, or the whole
-- erasure is rolled back (XX000). A legal hold on the tenant or the user refuses it (CGF02,
-- cogdb.refuse_held_user). Erasing a user that is gone already finds nothing and is harmless
-- (found: false). Statements that visit other users' rows run in each user's context
-- (FORCE RLS fences the owner too; enter_tenant), and name the tenant as a constant
-- (docs/conventions.md rule 3). Definer for cogdb_admin; audited like every write.
CREATE OR REPLACE FUNCTION cogdb.erase_user(tenant_id text, user_id text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_user uuid := cogdb.gdpr_user(user_id);
    v_saved text[];
    v_shared text;
    v_found boolean;
    v_sessions uuid[];
    v_shared_sessions boolean;
    v_other uuid;
    v_ids text[];
    v_n integer;
    v_left bigint;
    v_counts jsonb := '{}';
    v_receipt jsonb;
BEGIN
    v_saved := cogdb.enter_tenant(v_tenant, v_user);
    PERFORM cogdb.refuse_held_user(v_tenant, v_user, 'erase');
    SELECT coalesce(t.settings #>> '{gdpr,erase_shared}', 'anonymise') INTO v_shared
      FROM cogdb.tenants t WHERE t.id = v_tenant;
    -- the users row's lock serialises concurrent erasures of one user
    PERFORM FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user FOR UPDATE;
    v_found := FOUND;

    -- Sessions: whole, with their events; first clear what points into them from outside.
    -- A private session is seen by the user alone, so only the user's own rows can point
    -- into it; into a tenant-visible one, any user's (private ones included, which only
    -- their owner's context sees): then every user's context is visited, and the ownerless.
    SELECT coalesce(array_agg(s.id), '{}'), coalesce(bool_or(s.visibility = 'tenant'), false)
      INTO v_sessions, v_shared_sessions
      FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.owner_user_id = v_user;
    PERFORM set_config('cogdb.erase_user', v_tenant::text || '/' || v_user::text, true);
    FOR v_other IN
        SELECT v_user
        UNION ALL
        SELECT NULL::uuid WHERE v_shared_sessions
        UNION ALL
        (SELECT u.id FROM cogdb.users u
          WHERE v_shared_sessions AND u.tenant_id = v_tenant AND u.id <> v_user ORDER BY u.id)
    LOOP
        EXIT WHEN cardinality(v_sessions) = 0;
        PERFORM set_config('app.user_id', coalesce(v_other::text, ''), true);
        UPDATE cogdb.memories m SET session_id = NULL
         WHERE m.tenant_id = v_tenant AND m.session_id = ANY (v_sessions)
           AND m.owner_user_id IS NOT DISTINCT FROM v_other;
        UPDATE cogdb.sessions s SET parent_session_id = NULL
         WHERE s.tenant_id = v_tenant AND s.parent_session_id = ANY (v_sessions)
           AND s.id <> ALL (v_sessions);
        UPDATE cogdb.events e SET parent_event_id = NULL
         WHERE e.tenant_id = v_tenant AND e.session_id <> ALL (v_sessions)
           AND e.parent_event_id IN (SELECT p.id FROM cogdb.events p
                                      WHERE p.tenant_id = v_tenant
                                        AND p.session_id = ANY (v_sessions));
    END LOOP;
    -- The user's name on rows that stay: every such row is one the user sees (they wrote
    -- it), so the user's own context reaches them all.
    PERFORM set_config('app.user_id', v_user::text, true);
    UPDATE cogdb.events e SET appended_by = NULL
     WHERE e.tenant_id = v_tenant AND e.appended_by = v_user
       AND e.session_id <> ALL (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('events.disowned', v_n);
    UPDATE cogdb.working_context w SET updated_by = NULL
     WHERE w.tenant_id = v_tenant AND w.updated_by = v_user
       AND w.owner_user_id IS DISTINCT FROM v_user;
    DELETE FROM cogdb.events e WHERE e.tenant_id = v_tenant AND e.session_id = ANY (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('events.deleted', v_n);
    DELETE FROM cogdb.sessions s WHERE s.tenant_id = v_tenant AND s.id = ANY (v_sessions);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('sessions.deleted', v_n);
    PERFORM set_config('cogdb.erase_user', '', true);

    -- Working context: the user's own entries (private, or shared on their sessions).
    DELETE FROM cogdb.working_context w WHERE w.tenant_id = v_tenant AND w.owner_user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('working_context.deleted', v_n);

    -- Private content: deleted (relationships first: they may point at the entities).
    DELETE FROM cogdb.relationships r
     WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user
       AND (r.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('relationships.deleted', v_n);
    DELETE FROM cogdb.entities e
     WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user
       AND (e.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('entities.deleted', v_n);
    DELETE FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user
       AND (m.visibility = 'private' OR v_shared = 'delete');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('memories.deleted', v_n);

    -- Tenant-visible content under 'anonymise': the memories anonymised; all three lose
    -- their owner with the users row (foreign keys, ON DELETE SET NULL).
    SELECT array_agg(m.id) INTO v_ids
      FROM cogdb.memories m
     WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user AND m.anonymised_at IS NULL;
    v_counts := v_counts || jsonb_build_object(
        'memories.anonymised', coalesce(cogdb.anonymise_memories(v_tenant, v_ids), 0),
        'memories.disowned', (SELECT count(*) FROM cogdb.memories m
                               WHERE m.tenant_id = v_tenant AND m.owner_user_id = v_user),
        'entities.disowned', (SELECT count(*) FROM cogdb.entities e
                               WHERE e.tenant_id = v_tenant AND e.owner_user_id = v_user),
        'relationships.disowned', (SELECT count(*) FROM cogdb.relationships r
                                    WHERE r.tenant_id = v_tenant AND r.owner_user_id = v_user));
    UPDATE cogdb.offloaded_contexts o SET owner_user_id = NULL
     WHERE o.tenant_id = v_tenant AND o.owner_user_id = v_user;
    UPDATE cogdb.text_index x SET owner_user_id = NULL
     WHERE x.tenant_id = v_tenant AND x.owner_user_id = v_user;
    DELETE FROM cogdb.memory_accesses a WHERE a.tenant_id = v_tenant AND a.owner_user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('memory_accesses.deleted', v_n);

    -- Who the user is: identities, then the users row.
    DELETE FROM cogdb.identities i WHERE i.tenant_id = v_tenant AND i.user_id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('identities.deleted', v_n);
    DELETE FROM cogdb.users u WHERE u.tenant_id = v_tenant AND u.id = v_user;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_counts := v_counts || jsonb_build_object('users.deleted', v_n);

    SELECT coalesce(sum(r.refs), 0) INTO v_left
      FROM cogdb.user_references(v_tenant::text, v_user::text) r WHERE NOT r.kept;
    IF v_left <> 0 THEN
        RAISE EXCEPTION 'erase of user % left % rows that name the user; nothing was erased',
                        v_user, v_left
            USING ERRCODE = 'XX000',
                  HINT = 'SELECT * FROM cogdb.user_references(tenant, user) lists them; report this.';
    END IF;
    v_receipt := jsonb_build_object('user_id', v_user, 'found', v_found,
                                    'shared_content', v_shared, 'counts', v_counts);
    PERFORM set_config('app.user_id', '', true);
    PERFORM cogdb.audit_note('gdpr.erase', v_receipt);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_receipt || jsonb_build_object('references_left', 0);
END
$$;

REVOKE ALL ON FUNCTION cogdb.erase_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.erase_user(text, text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.erase_user(text, text) IS
    'Erases a user (GDPR): their sessions, private data, identities and users row; their tenant-visible content anonymised or deleted (setting gdpr.erase_shared); returns and audits a receipt of counts.';
-- <<< sql/functions/gdpr/erase_user.sql

RESET ROLE;
