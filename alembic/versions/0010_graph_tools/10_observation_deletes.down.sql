REVOKE DELETE ON cogdb.entity_observations FROM cogdb_app;
