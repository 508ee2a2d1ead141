-- The federated sessions the context's tenant (at isolation_level 'federated', else CGF01)
-- may join or takes part in, newest first: topic, k and contribution bounds, whether this
-- tenant opened it, how many tenants take part now (active and still federated; a number,
-- never who), and this tenant's joined_at and withdrawn_at (NULL if it never joined).
-- Definer for the app: sessions and participants are owner-only; no other tenant's id leaves.
CREATE OR REPLACE FUNCTION cogdb.list_federated_sessions()
    RETURNS TABLE (id uuid, topic text, k integer, max_buckets integer, max_per_bucket integer,
                   opened_at timestamptz, opened_here boolean, participants integer,
                   joined_at timestamptz, withdrawn_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('listing federated sessions');
BEGIN
    RETURN QUERY
    SELECT s.id, s.topic, s.k, s.max_buckets, s.max_per_bucket, s.opened_at,
           s.opener_tenant_id = v_me,
           cardinality(cogdb.federated_contributors(s.id)),
           mine.joined_at, mine.withdrawn_at
      FROM cogdb.federated_sessions s
      LEFT JOIN cogdb.federated_participants mine
        ON mine.session_id = s.id AND mine.tenant_id = v_me
     ORDER BY s.opened_at DESC, s.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_federated_sessions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_federated_sessions() TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_federated_sessions() IS
    'The federated sessions a federated tenant may join or takes part in, with k, the participant count and its own participation; never another tenant''s id.';
