-- What the app reads of memories is what retention keeps: not expired (expires_at), and not
-- older than the tenant's retention policy for its context type and source allows
-- (retention_policies.max_age; the most specific policy decides), unless the purge has
-- anonymised it already. Applies from the moment a memory expires, before any purge, to
-- every read as the app: search, get, list, traversal, plain SELECT (and the rows an UPDATE or
-- DELETE reads). RESTRICTIVE, FOR SELECT, TO cogdb_app: the owner's purge still sees what it
-- removes. Once per query, never per row: the helpers are InitPlans, evaluated when first
-- needed. retention_horizon() is the youngest cutoff ('-infinity' without an age limit): a
-- memory created after it is kept whatever its type, for one comparison; only older ones
-- look up their most specific cutoff in retention_cutoffs() ({context_type: {source:
-- timestamptz}}, NULL without an age limit).
DROP POLICY IF EXISTS memories__retained ON cogdb.memories;
CREATE POLICY memories__retained ON cogdb.memories
    AS RESTRICTIVE FOR SELECT TO cogdb_app
    USING ((expires_at IS NULL OR expires_at > now())
           AND (created_at > (SELECT cogdb.retention_horizon())
                OR anonymised_at IS NOT NULL
                OR (SELECT cogdb.retention_cutoffs()) IS NULL
                OR created_at > coalesce((SELECT cogdb.retention_cutoffs()) -> context_type ->> source,
                                         (SELECT cogdb.retention_cutoffs()) -> context_type ->> '*',
                                         (SELECT cogdb.retention_cutoffs()) -> '*' ->> source,
                                         (SELECT cogdb.retention_cutoffs()) -> '*' ->> '*',
                                         '-infinity')::timestamptz));
