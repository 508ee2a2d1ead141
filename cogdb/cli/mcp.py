"""``cogdb mcp``: the MCP server (the ``[mcp]`` extra) for one tenant and user."""
from __future__ import annotations

import click

from ..db import urls
from .common import cli_errors


@click.command("mcp")
@click.option("--tenant", help="The tenant whose memories the server serves "
                               "(else COGDB_MCP_TENANT).")
@click.option("--user", help="The user it acts as (else COGDB_MCP_USER; none: tenant-wide "
                             "memories only).")
@click.option("--identity", metavar="PROVIDER:EXTERNAL_ID",
              help="Resolve tenant and user from an authenticated identity "
                   "(cogdb.resolve_identity; else COGDB_MCP_IDENTITY).")
def mcp_command(tenant: str | None, user: str | None, identity: str | None) -> None:
    """Serve memory (remember / search / forget) and the knowledge-graph tools
    (create_entities, search_nodes, read_graph, …) to an MCP client over stdio.

    Tenant and user are the server's, fixed at start: no tool takes them. Configure the
    client to run e.g. `cogdb mcp --tenant T --user U` with COGDB_DATABASE_URL set.
    """
    with cli_errors():
        try:
            import anyio

            from ..integrations.mcp.server import serve_stdio
        except ImportError as exc:  # pragma: no cover - without the extra
            raise click.ClickException(
                f"cogdb mcp needs the [mcp] extra ({exc.name} is missing): "
                "pip install 'cogdb[mcp]'") from exc
        anyio.run(serve_stdio, urls.app_url(), tenant, user, identity)
