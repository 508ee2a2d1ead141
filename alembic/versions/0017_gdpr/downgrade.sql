-- cogdb revision 0017 (gdpr): downgrade, written by `python -m tools.freeze 0017` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/gdpr/erase_user.sql: new in this revision
DROP FUNCTION cogdb.erase_user(text, text);

-- sql/functions/gdpr/anonymise_user.sql: new in this revision
DROP FUNCTION cogdb.anonymise_user(text, text);

-- sql/functions/gdpr/export_user.sql: new in this revision
DROP FUNCTION cogdb.export_user(text, text);

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS NULL;
-- sql/functions/provisioning/set_tenant_setting.sql as frozen in revision 0008
-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. default_model (a registered model's name, or NULL for the
-- deployment's default) sets the tenant's default embedding model. search.language (a text
-- search configuration such as english, german or simple) is the language of the tenant's
-- full-text index and queries; changing it indexes the tenant's text again (reindex_text).
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
                            WHEN 'search.language' THEN 'string' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import, default_model, search.language',
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

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS NULL;
-- sql/functions/sessions/refuse_event_change.sql as frozen in revision 0006
-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on events): the event
-- stream is append-only, for every role, the owner and superusers included (the app has no
-- UPDATE, DELETE or TRUNCATE privilege to begin with). Refuses with CGA04. The one
-- exception is the deletion of a whole tenant, whose rows cascade here after its tenant row
-- is gone. Retention, when it exists, will be the only other way events are removed: in
-- bulk, by the owner, and audited. Definer: it reads the tenants registry.
CREATE OR REPLACE FUNCTION cogdb.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = OLD.tenant_id) THEN
            RETURN OLD;  -- the tenant is being deleted: all of its rows go
        END IF;
    END IF;
    RAISE EXCEPTION 'the event stream is append-only: % of events is refused', TG_OP
        USING ERRCODE = 'CGA04',
              HINT = 'Append a new event that corrects or retracts it (its parent_event_id '
                     'names the event it refers to).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_event_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_event_change() IS
    'Trigger on events: refuses UPDATE, DELETE and TRUNCATE for every role (append-only); only a whole tenant''s deletion removes events.';

REVOKE ALL ON FUNCTION cogdb.purge_retention(text, integer) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.purge_retention(text, integer) IS NULL;
-- sql/functions/retention/purge_retention.sql as frozen in revision 0015
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

-- sql/functions/gdpr/anonymise_memories.sql: new in this revision
DROP FUNCTION cogdb.anonymise_memories(uuid, text[]);

-- sql/functions/gdpr/refuse_held_user.sql: new in this revision
DROP FUNCTION cogdb.refuse_held_user(uuid, uuid, text);

-- sql/functions/gdpr/user_references.sql: new in this revision
DROP FUNCTION cogdb.user_references(text, text);

-- sql/functions/gdpr/user_columns.sql: new in this revision
DROP FUNCTION cogdb.user_columns();

-- sql/functions/gdpr/gdpr_user.sql: new in this revision
DROP FUNCTION cogdb.gdpr_user(text);

RESET ROLE;
