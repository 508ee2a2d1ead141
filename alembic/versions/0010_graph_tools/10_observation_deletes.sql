-- The app may delete observations: the table's policies (entity_observations__tenant_fence,
-- entity_observations__visible_entity) are FOR ALL, so a DELETE reaches exactly the rows a
-- SELECT would (cogdb.forget_observations).
GRANT DELETE ON cogdb.entity_observations TO cogdb_app;
