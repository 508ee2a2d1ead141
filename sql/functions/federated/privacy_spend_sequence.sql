-- The sequence that holds one tenant's privacy spend, in integer micro-units of epsilon
-- (cogdb.privacy_spent_<md5 of the tenant id>: hashed, so the names in pg_class, which every
-- role reads, do not spell out tenant ids), or NULL if the tenant has none. The
-- spend lives in a sequence, not in a table row, because a sequence is not transactional:
-- setval is never undone by a rollback (PostgreSQL manual, "Sequence Manipulation
-- Functions"), so an asker that rolls back after reading a noisy answer keeps its charge
-- (docs/federated.md "A charge the asker cannot undo"). Owner-only; the app has no
-- privilege on the sequences.
CREATE OR REPLACE FUNCTION cogdb.privacy_spend_sequence(tenant uuid)
    RETURNS regclass
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT to_regclass('cogdb.privacy_spent_' || md5(tenant::text))
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_spend_sequence(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.privacy_spend_sequence(uuid) IS
    'The sequence holding a tenant''s privacy spend in micro-epsilon (NULL if none); owner-only.';
