"""Alembic environment for cogdb.

The version table lives in schema cogdb, so cogdb can share a host application's database
with that application's own Alembic history. The schema is created here, before Alembic
looks for its version table; revision 0001 then hands it to cogdb_owner.
"""
from alembic import context

from cogdb.db.urls import admin_url
from cogdb.ops.migrate import VERSION_SCHEMA, VERSION_TABLE, engine_for


def run_migrations(connection) -> None:
    connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {VERSION_SCHEMA}")
    context.configure(
        connection=connection,
        version_table_schema=VERSION_SCHEMA,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    # Any libpq URL (Unix sockets included); a SQLAlchemy-style postgresql+psycopg:// works too.
    url = context.get_x_argument(as_dictionary=True).get("url") or admin_url()
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with engine_for(url).connect() as conn:
        run_migrations(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("cogdb migrations run online only: they read the catalog as they go.")
main()
