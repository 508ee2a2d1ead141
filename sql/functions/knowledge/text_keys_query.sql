-- The query on cogdb.text_keys that finds every row a tsquery matches in `tenant_id` (and
-- maybe more: the caller checks the query itself on each row), or NULL where there is none.
-- It starts from the query's indexable part (querytree: negations left out, `a & !b` -> `a`;
-- 'T' when nothing is left, as for `!a` or `a | !b`: NULL then). Each lexeme gets the
-- tenant's prefix (cogdb.text_tenant_key); each phrase operator (`<->`, `<N>`) becomes `&`,
-- which binds next tightest, so the grouping the text shows is kept (keys have no
-- positions); OR and prefix matches (`:*`) stay, weights go (a key has none, and a weight
-- in the query would make the index recheck every row by computing its keys again). A word
-- of 500 characters or more gives NULL too (the keys may cut such a word). The tenant key
-- alone is OR-ed in: the key of a document too large for its keys (cogdb.text_keys).
-- The text is split into quoted lexemes, phrase operators and the rest, so a quote or an
-- operator inside a lexeme is left alone.
-- Immutable, invoker, standard-SQL body; owner-only (text_rows_matching calls it).
CREATE OR REPLACE FUNCTION cogdb.text_keys_query(tenant_id uuid, query tsquery) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
RETURN (SELECT CASE WHEN p.part <> 'T' AND p.part !~ '''(?:[^'']|''''){250}(?:[^'']|''''){250}'
                    THEN (SELECT ('( ' || pg_catalog.string_agg(
                                      CASE WHEN t.token[1] LIKE '''%'
                                               THEN '''' || k.key || pg_catalog.substr(t.token[1], 2)
                                           WHEN t.token[1] LIKE '<%' THEN '&'
                                           ELSE pg_catalog.regexp_replace(
                                                    t.token[1], ':(\*?)[A-D]+', ':\1', 'g')
                                      END, '' ORDER BY t.n)
                                  || ' ) | ''' || k.key || '''')::tsquery
                            FROM (SELECT cogdb.text_tenant_key(tenant_id)) AS k(key),
                                 pg_catalog.regexp_matches(
                                     p.part, '(''(?:[^'']|'''')*''|<(?:-|[0-9]+)>|[^''<]+|<)', 'g')
                                     WITH ORDINALITY AS t(token, n)
                           GROUP BY k.key)
               END
          FROM (SELECT pg_catalog.querytree(query)) AS p(part));

REVOKE ALL ON FUNCTION cogdb.text_keys_query(uuid, tsquery) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.text_keys_query(uuid, tsquery) IS
    'The query on cogdb.text_keys that finds every row a tsquery matches in a tenant (negations left out); NULL where none can.';
