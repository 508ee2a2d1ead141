-- The owner index of every entity, as revision 0008 made it.
DROP INDEX cogdb.entities_tenant_owner_idx;
CREATE INDEX entities_tenant_owner_idx ON cogdb.entities (tenant_id, owner_user_id);
