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
