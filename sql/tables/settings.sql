-- Global settings (not per tenant): search thresholds, the default model. Custom GUCs would
-- be changeable by the app, and ALTER DATABASE SET is not copied to template clones, so
-- settings live in a table that only the owner writes. Rows are seeded by the revisions.
CREATE TABLE cogdb.settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    description text NOT NULL
);
GRANT SELECT ON cogdb.settings TO cogdb_app, cogdb_admin;
COMMENT ON TABLE cogdb.settings IS
    'Global settings of the deployment (search thresholds, the default model); written by the owner only.';
