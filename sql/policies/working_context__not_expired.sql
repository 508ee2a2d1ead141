-- An entry is invisible to the app from its expires_at on (now() is the transaction's
-- start, so one transaction sees a consistent set). RESTRICTIVE, for the app's reads only:
-- the definer write functions run as the owner and must see an expired entry to replace it
-- (a create over an expired key continues its version numbers, so a stale compare-and-set
-- can never match a recreated entry).
DROP POLICY IF EXISTS working_context__not_expired ON cogdb.working_context;
CREATE POLICY working_context__not_expired ON cogdb.working_context
    AS RESTRICTIVE FOR SELECT TO cogdb_app
    USING (expires_at IS NULL OR expires_at > now());
