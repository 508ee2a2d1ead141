-- cogdb revision 0013 (retention): downgrade, written by `python -m tools.freeze 0013` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/governance/policy_report.sql: new in this revision
DROP FUNCTION cogdb.policy_report();

-- sql/functions/governance/policy_report_allowlist.sql: new in this revision
DROP FUNCTION cogdb.policy_report_allowlist();

RESET ROLE;
