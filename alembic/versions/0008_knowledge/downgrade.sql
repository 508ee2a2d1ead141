-- cogdb revision 0008 (knowledge): downgrade, written by `python -m tools.freeze 0008` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 30_backfill.down.sql
-- Nothing to undo: the tables it filled are dropped with the revision.
-- <<< step 30_backfill.down.sql

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC, cogdb_app, cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS NULL;
-- sql/functions/provisioning/set_tenant_setting.sql as frozen in revision 0005
-- Changes one setting of a tenant and returns the tenant's effective settings. Only the
-- listed keys are settable, each with its JSON type; a NULL value removes the key, so the
-- mode's default applies again. default_model (a registered model's name, or NULL for the
-- deployment's default) sets the tenant's default embedding model. Definer for cogdb_admin: the app role has no UPDATE on
-- cogdb.tenants and so can never change its own tenant's settings.
CREATE OR REPLACE FUNCTION cogdb.set_tenant_setting(tenant_id text, key text, value jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.parse_uuid(tenant_id, 'tenant_id');
    v_type text := CASE key WHEN 'features.chat_import' THEN 'boolean'
                            WHEN 'default_model' THEN 'string' END;
    v_path text[] := string_to_array(key, '.');
    v_row cogdb.tenants;
BEGIN
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'unknown tenant setting %; settable: features.chat_import, default_model',
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
    RETURN cogdb.effective_settings(v_row.mode, v_row.settings);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_tenant_setting(text, text, jsonb) IS
    'Changes one setting of a tenant and returns the tenant''s effective settings.';

-- sql/functions/knowledge/compact_tenant_stats.sql: new in this revision
DROP FUNCTION cogdb.compact_tenant_stats();

-- sql/functions/knowledge/tenant_stats.sql: new in this revision
DROP FUNCTION cogdb.tenant_stats(text);

-- sql/functions/knowledge/stats.sql: new in this revision
DROP FUNCTION cogdb.stats();

-- sql/functions/knowledge/stats_document.sql: new in this revision
DROP FUNCTION cogdb.stats_document(uuid);

-- sql/functions/knowledge/fold_memory_accesses.sql: new in this revision
DROP FUNCTION cogdb.fold_memory_accesses();

-- sql/functions/knowledge/record_access.sql: new in this revision
DROP FUNCTION cogdb.record_access(text[]);

-- sql/functions/knowledge/hybrid_search.sql: new in this revision
DROP FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean);

-- sql/functions/knowledge/reindex_text.sql: new in this revision
DROP FUNCTION cogdb.reindex_text(uuid);

-- sql/functions/knowledge/text_candidates.sql: new in this revision
DROP FUNCTION cogdb.text_candidates(tsquery, integer, text[]);

-- sql/functions/knowledge/text_query.sql: new in this revision
DROP FUNCTION cogdb.text_query(text);

-- sql/functions/knowledge/tenant_language.sql: new in this revision
DROP FUNCTION cogdb.tenant_language(uuid);

-- sql/functions/knowledge/neighbors.sql: new in this revision
DROP FUNCTION cogdb.neighbors(text, integer, text[], text, timestamptz, timestamptz, integer);

-- sql/functions/knowledge/list_relationships.sql: new in this revision
DROP FUNCTION cogdb.list_relationships(text, text, text[], timestamptz, timestamptz, boolean);

-- sql/functions/knowledge/relate.sql: new in this revision
DROP FUNCTION cogdb.relate(text, text, text, real, real, jsonb, timestamptz, timestamptz, text);

-- sql/functions/knowledge/list_relationship_types.sql: new in this revision
DROP FUNCTION cogdb.list_relationship_types();

-- sql/functions/knowledge/register_relationship_type.sql: new in this revision
DROP FUNCTION cogdb.register_relationship_type(text, text, boolean);

-- sql/functions/knowledge/forget_entity.sql: new in this revision
DROP FUNCTION cogdb.forget_entity(text);

-- sql/functions/knowledge/merge_entities.sql: new in this revision
DROP FUNCTION cogdb.merge_entities(text, text);

-- sql/functions/knowledge/get_entity.sql: new in this revision
DROP FUNCTION cogdb.get_entity(text);

-- sql/functions/knowledge/upsert_entity.sql: new in this revision
DROP FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text);

-- sql/functions/knowledge/resolve_node.sql: new in this revision
DROP FUNCTION cogdb.resolve_node(text, text);

-- >>> step 20_triggers.down.sql
DROP TRIGGER memories_index_text_inserts ON cogdb.memories;
DROP TRIGGER memories_index_text_updates ON cogdb.memories;
DROP TRIGGER memories_stats_inserts ON cogdb.memories;
DROP TRIGGER memories_stats_deletes ON cogdb.memories;
DROP TRIGGER memories_stats_updates ON cogdb.memories;
DROP TRIGGER users_purge_private_knowledge ON cogdb.users;
COMMENT ON TABLE cogdb.users IS
    'Users of a tenant; deleting one deletes their private memories and clears the owner of their shared ones.';
-- <<< step 20_triggers.down.sql

-- sql/policies/memory_accesses__registry_owner.sql: new in this revision
DROP POLICY memory_accesses__registry_owner ON cogdb.memory_accesses;

-- sql/policies/tenant_stats__registry_owner.sql: new in this revision
DROP POLICY tenant_stats__registry_owner ON cogdb.tenant_stats;

-- sql/policies/text_index__registry_owner.sql: new in this revision
DROP POLICY text_index__registry_owner ON cogdb.text_index;

-- sql/policies/relationships__endpoints_visible.sql: new in this revision
DROP POLICY relationships__endpoints_visible ON cogdb.relationships;

-- sql/policies/relationships__visible_to_user.sql: new in this revision
DROP POLICY relationships__visible_to_user ON cogdb.relationships;

-- sql/policies/relationships__tenant_fence.sql: new in this revision
DROP POLICY relationships__tenant_fence ON cogdb.relationships;

-- sql/policies/relationship_types__inside_fence.sql: new in this revision
DROP POLICY relationship_types__inside_fence ON cogdb.relationship_types;

-- sql/policies/relationship_types__tenant_fence.sql: new in this revision
DROP POLICY relationship_types__tenant_fence ON cogdb.relationship_types;

-- sql/policies/entity_observations__visible_entity.sql: new in this revision
DROP POLICY entity_observations__visible_entity ON cogdb.entity_observations;

-- sql/policies/entity_observations__tenant_fence.sql: new in this revision
DROP POLICY entity_observations__tenant_fence ON cogdb.entity_observations;

-- sql/policies/entities__visible_to_user.sql: new in this revision
DROP POLICY entities__visible_to_user ON cogdb.entities;

-- sql/policies/entities__tenant_fence.sql: new in this revision
DROP POLICY entities__tenant_fence ON cogdb.entities;

-- sql/tables/memory_accesses.sql: new in this revision
DROP TABLE cogdb.memory_accesses;

-- sql/tables/tenant_stats.sql: new in this revision
DROP TABLE cogdb.tenant_stats;

-- sql/tables/text_index.sql: new in this revision
DROP TABLE cogdb.text_index;

-- sql/tables/relationships.sql: new in this revision
DROP TABLE cogdb.relationships;

-- sql/tables/relationship_types.sql: new in this revision
DROP TABLE cogdb.relationship_types;

-- sql/tables/entity_observations.sql: new in this revision
DROP TABLE cogdb.entity_observations;

-- sql/tables/entities.sql: new in this revision
DROP TABLE cogdb.entities;

-- sql/functions/knowledge/purge_private_knowledge.sql: new in this revision
DROP FUNCTION cogdb.purge_private_knowledge();

-- sql/functions/knowledge/count_tenant_stats.sql: new in this revision
DROP FUNCTION cogdb.count_tenant_stats();

-- sql/functions/knowledge/index_text.sql: new in this revision
DROP FUNCTION cogdb.index_text();

-- sql/functions/knowledge/check_relationship_row.sql: new in this revision
DROP FUNCTION cogdb.check_relationship_row();

-- sql/functions/knowledge/check_entity_row.sql: new in this revision
DROP FUNCTION cogdb.check_entity_row();

-- sql/functions/knowledge/fact_holds.sql: new in this revision
DROP FUNCTION cogdb.fact_holds(timestamptz, timestamptz, timestamptz, timestamptz, timestamptz, timestamptz);

-- sql/functions/knowledge/builtin_relationship_types.sql: new in this revision
DROP FUNCTION cogdb.builtin_relationship_types();

-- sql/functions/knowledge/jsonb_merge.sql: new in this revision
DROP FUNCTION cogdb.jsonb_merge(jsonb, jsonb);

-- sql/functions/knowledge/entity_id_for.sql: new in this revision
DROP FUNCTION cogdb.entity_id_for(text, text);

-- >>> step 05_btree_gin.down.sql
-- The extension stays (like pgvector): other objects of the database may use it.
-- <<< step 05_btree_gin.down.sql

RESET ROLE;
