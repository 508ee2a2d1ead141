-- Federated insights' deployment-wide settings (docs/federated.md).
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('federated.min_k', '5',
     'The least k a federated session may have: buckets need at least this many distinct contributing tenants (never below 5)'),
    ('federated.epsilon_budget', '1.0',
     'The privacy budget (total epsilon) a tenant gets when it first joins a federated session; cogdb.set_privacy_budget changes it per tenant');
