-- The planner's estimate of a tenant's memories in each partition (set_tenant_estimates).
SELECT cogdb.set_tenant_estimates();
