-- Anonymises memories of a tenant by id and returns how many: keeps the row (id, owner,
-- visibility, type, source, times, session, counts) and sets human_content '',
-- assistant_content '[anonymised]', summary, conversation_id and cluster_label NULL, tags [],
-- metadata {}, the embedding a fixed unit vector (the text could be approximated from it)
-- and anonymised_at now(); an offloaded context's full text becomes '[anonymised]' too, and
-- the memory's other vectors (memory_embeddings, a model migration's) the same unit vector. The
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
    UPDATE cogdb.memory_embeddings e
       SET embedding = ('[1' || repeat(',0', public.vector_dims(e.embedding) - 1)
                        || ']')::public.vector
     WHERE e.tenant_id = tenant AND e.memory_id = ANY (ids);
    UPDATE cogdb.offloaded_contexts o
       SET content = '[anonymised]'
     WHERE o.tenant_id = tenant AND o.memory_id = ANY (ids) AND o.content <> '[anonymised]';
    RETURN v_n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.anonymise_memories(uuid, text[]) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.anonymise_memories(uuid, text[]) IS
    'Anonymises memories by id (content, summary, tags, metadata and embedding removed, anonymised_at set; offloaded text too): the one rule retention and the GDPR functions share.';
