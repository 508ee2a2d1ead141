DELETE FROM cogdb.settings WHERE key IN ('federated.min_k', 'federated.epsilon_budget');
