"""App logins that cogdb creates carry lock_timeout and idle_in_transaction_session_timeout,
so one login holding a lock (``LOCK TABLE cogdb.memories``, an abandoned transaction) cannot
stall every tenant indefinitely; a DBA's own values are kept. The DBA report that flags logins
without them is not part of this test."""
from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from cogdb import config
from cogdb.api.provisioning import AdminClient


def _settings(conn, name):
    rows = conn.execute("SELECT unnest(s.setconfig) FROM pg_db_role_setting s"
                        " JOIN pg_roles r ON r.oid = s.setrole"
                        " WHERE r.rolname = %s AND s.setdatabase = 0", (name,)).fetchall()
    return dict(r[0].split("=", 1) for r in rows)


def test_created_app_logins_get_the_timeouts_and_keep_a_dbas_values(db):
    fresh, preset, bare = (f"cogdb_rel_{uuid.uuid4().hex[:8]}" for _ in range(3))
    for name in (preset, bare):
        db.super.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    db.super.execute(sql.SQL("ALTER ROLE {} SET lock_timeout = '2s'").format(
        sql.Identifier(preset)))
    try:
        with AdminClient(db.url()) as admin:
            for name in (fresh, preset):
                admin.ensure_app_login(name)
                admin.ensure_app_login(name)  # idempotent
        assert _settings(db.super, fresh) == config.APP_LOGIN_SETTINGS
        assert _settings(db.super, preset) == {
            **config.APP_LOGIN_SETTINGS, "lock_timeout": "2s"}  # the DBA's value stays
        # the settings are what a session of the login starts with
        with psycopg.connect(db.url(fresh)) as conn:
            got = conn.execute("SELECT current_setting('lock_timeout'),"
                               " current_setting('idle_in_transaction_session_timeout')"
                               ).fetchone()
        assert got == ("30s", "1min")
        # control: a login cogdb did not set up has neither
        assert _settings(db.super, bare).keys().isdisjoint(config.APP_LOGIN_SETTINGS)
    finally:
        for name in (fresh, preset, bare):
            db.super.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
