"""``cogdb migrate``: Alembic upgrade or downgrade, as the admin login."""
from __future__ import annotations

import click

from .. import config
from ..api.client import connect_admin
from ..db import urls
from ..db.errors import CogdbError, translate
from .common import cli_errors, emit_json, json_option


@click.command("migrate")
@click.option("--to", "target", default="head", show_default=True,
              help="Target revision: head, base, or a revision id (up or down).")
@json_option()
def migrate_command(target: str, as_json: bool) -> None:
    """Migrate the database to a revision (as COGDB_ADMIN_URL or the embedded superuser)."""
    from ..ops import migrate

    with cli_errors():
        url = urls.admin_url()
        try:
            before, after = migrate.migrate(url, target)
        except ValueError as exc:
            raise CogdbError(str(exc), hint="See the revisions in alembic/versions/.") from exc
        except Exception as exc:  # SQLAlchemy wraps driver errors
            orig = getattr(exc, "orig", None)
            if orig is not None:
                raise translate(orig) from exc
            raise
        if not config.uses_external_server() and after is not None:
            with connect_admin() as admin:
                migrate.prepare_embedded_database(admin)
    if as_json:
        emit_json({"before": before, "after": after})
    else:
        click.echo(f"migrated: {before or 'base'} -> {after or 'base'}")
