"""The ``cogdb`` command line. Every command is a thin wrapper over the Python API.

Without COGDB_DATABASE_URL / COGDB_ADMIN_URL, commands use the embedded server under
COGDB_HOME: ``cogdb db start`` or ``cogdb quickstart`` starts it, and it runs until ``cogdb db
stop``; no other command starts it.

Every command has --json (errors included) and reports errors through
:func:`common.cli_errors`; the exit codes are named in :mod:`.common`.

One module per command group; this module defines the root group and is the only one that
knows them all. The command modules never import it.
"""
from __future__ import annotations

import click

from .audit import audit_group
from .common import handle_errors
from .db import db_group
from .federated import federated_group
from .io import export_group, import_group
from .knowledge import (
    entity_group,
    neighbors,
    relate,
    relation_type_group,
    relationships,
    stats,
)
from .maintain import bench, maintain
from .mcp import mcp_command
from .memory import forget, get, list_command, remember, search
from .migrate import migrate_command
from .model import model_group
from .quickstart import quickstart
from .retention import purge, retention_group
from .scale import scale_out_group
from .sessions import context_group, event_group, offload_group, session_group
from .share import share_group
from .tenant import tenant_group
from .text import text_group
from .user import user_group
from .vocabulary import vocabulary_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cogdb")
def main() -> None:
    """cogdb: tenant-isolated long-term memory for AI assistants, inside PostgreSQL.

    Start with `cogdb quickstart`. Set COGDB_DATABASE_URL (app login) and COGDB_ADMIN_URL
    (migrations, provisioning) to use your own server instead of the embedded one.

    Exit codes: 0 success, 1 error, 2 usage error, 3 the embedded server is not running
    (db status), 4 finished with records left out (import), 5 a check found a problem
    (audit policies: findings; audit verify: a broken chain).
    """


for command in (db_group, migrate_command, tenant_group, user_group, model_group,
                vocabulary_group, remember, get, list_command, search, forget, entity_group,
                relate, relationships, relation_type_group, neighbors, stats, quickstart,
                import_group, export_group, maintain, bench, session_group, event_group,
                context_group, offload_group, mcp_command, audit_group, retention_group,
                purge, scale_out_group, share_group, federated_group, text_group):
    main.add_command(command)
handle_errors(main)
