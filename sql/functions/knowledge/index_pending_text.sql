-- The context tenant's queued memories indexed for hybrid search now, instead of at the next
-- `cogdb maintain` (docs/architecture.md "Deferred text indexing"): what an app or an import
-- calls after a bulk write whose text must be searchable at once. At most max_rows entries
-- (NULL: all). Returns how many memories were indexed, of every user of the tenant (private
-- ones in their owner's context); no row, id or content comes back. A definer so that the
-- app needs no privilege on the queue or the index.
CREATE OR REPLACE FUNCTION cogdb.index_pending_text(max_rows integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN cogdb.index_queued_text(cogdb.require_tenant('indexing queued text'),
                                   index_pending_text.max_rows);
END
$$;

REVOKE ALL ON FUNCTION cogdb.index_pending_text(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.index_pending_text(integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.index_pending_text(integer) IS
    'Indexes the full text of the context tenant''s memories queued by bulk inserts now (else cogdb maintain does); returns how many.';
