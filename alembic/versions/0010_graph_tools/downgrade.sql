-- cogdb revision 0010 (graph_tools): downgrade, written by `python -m tools.freeze 0010` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/knowledge/forget_observations.sql: new in this revision
DROP FUNCTION cogdb.forget_observations(text, text[]);

-- sql/functions/knowledge/entity_relations.sql: new in this revision
DROP FUNCTION cogdb.entity_relations(text[]);

-- sql/functions/knowledge/list_entities.sql: new in this revision
DROP FUNCTION cogdb.list_entities(text, integer, text);

-- >>> step 10_observation_deletes.down.sql
REVOKE DELETE ON cogdb.entity_observations FROM cogdb_app;
-- <<< step 10_observation_deletes.down.sql

RESET ROLE;
