"""``cogdb mcp``: an MCP server (the official ``mcp`` SDK's low-level Server, stdio) whose
tools run in one tenant — and one user — fixed by its configuration.

Tenant and user come from the command line (``--tenant``/``--user``), the environment
(``COGDB_MCP_TENANT``/``COGDB_MCP_USER``), or an authenticated identity
(``--identity provider:external_id`` / ``COGDB_MCP_IDENTITY``, resolved once at start with
cogdb.resolve_identity) — never from a tool's arguments. Two servers configured for two
tenants on one database cannot see each other's memories: each call is a scope of the
server's tenant, and row-level security does the rest.

Errors are tool results with ``isError: true`` (as the reference memory server returns
them), never JSON-RPC errors: a cogdb error carries cogdb's message (and its HINT), bad
arguments the JSON-schema message, an unknown tool ``Unknown tool: NAME``.

The low-level Server (not MCPServer) is used because the published input schemas must be
exactly ours (and, for the knowledge tools, exactly the reference server's); it does not
validate arguments, so this module does, with jsonschema.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import jsonschema
from mcp.server import Server, ServerRequestContext
from mcp.types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
)

from ... import __version__
from ...api.async_client import AsyncClient, connect_async
from ...db.errors import CogdbError, InvalidInput
from ...db.values import as_uuid
from . import knowledge_tools, memory_tools
from .tools import ToolSpec

TENANT_ENV = "COGDB_MCP_TENANT"
USER_ENV = "COGDB_MCP_USER"
IDENTITY_ENV = "COGDB_MCP_IDENTITY"

log = logging.getLogger("cogdb.mcp")


@dataclass(frozen=True)
class Identity:
    """Whose memories the server serves: fixed for the server's lifetime."""

    tenant: str
    user: str | None


def identity_from(tenant: str | None = None, user: str | None = None,
                  identity: str | None = None) -> tuple[str | None, str | None, str | None]:
    """Arguments first, then the environment: (tenant, user, provider:external_id)."""
    return (tenant or os.environ.get(TENANT_ENV) or None,
            user or os.environ.get(USER_ENV) or None,
            identity or os.environ.get(IDENTITY_ENV) or None)


async def resolve(client: AsyncClient, tenant: str | None, user: str | None,
                  identity: str | None) -> Identity:
    """The server's tenant and user, from ids or from an authenticated identity."""
    if identity:
        if tenant or user:
            raise InvalidInput("give either an identity or a tenant (and user), not both",
                               field="identity")
        provider, sep, external_id = identity.partition(":")
        if not sep or not provider or not external_id:
            raise InvalidInput("an identity is provider:external_id, e.g. oidc:1234",
                               field="identity")
        found = await client.resolve_identity(provider, external_id)
        if found is None:
            raise CogdbError(f"no cogdb user has the identity {identity}",
                             hint="An admin links it: cogdb user create --tenant T --email E "
                                  "--provider P --external-id X.")
        return Identity(str(found[0]), str(found[1]))
    if not tenant:
        raise InvalidInput("the server needs a tenant: --tenant (or COGDB_MCP_TENANT), or "
                           "--identity provider:external_id", field="tenant")
    return Identity(as_uuid(tenant, "tenant"), as_uuid(user, "user", required=False))  # type: ignore[arg-type]


def _error(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def build_server(client: AsyncClient, who: Identity,
                 tools: list[ToolSpec] | None = None) -> Server:
    """The MCP server: its tools, each call one scope of ``who``."""
    specs = {t.tool.name: t for t in (tools if tools is not None else
                                      [*memory_tools.TOOLS, *knowledge_tools.TOOLS])}

    async def list_tools(ctx: ServerRequestContext, params: PaginatedRequestParams | None
                         ) -> ListToolsResult:
        return ListToolsResult(tools=[t.tool for t in specs.values()])

    async def call_tool(ctx: ServerRequestContext, params: CallToolRequestParams
                        ) -> CallToolResult:
        spec = specs.get(params.name)
        if spec is None:
            return _error(f"Unknown tool: {params.name}")
        args = dict(params.arguments or {})
        try:
            jsonschema.validate(args, spec.tool.input_schema)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            return _error(f"Invalid arguments for tool {params.name}: {exc.message}"
                          + (f" at {where}" if where else ""))
        try:
            async with client.scope(who.tenant, who.user) as s:
                result = await spec.handler(s, args)
        except CogdbError as exc:
            return _error(str(exc))
        except Exception:
            log.exception("tool %s failed", params.name)
            return _error(f"Internal error in tool {params.name}; see the server's log")
        return CallToolResult(content=[TextContent(type="text", text=spec.render(result))],
                              structured_content=result)

    return Server("cogdb", version=__version__,
                  instructions="Long-term memory: remember facts and turns, search them by "
                               "meaning, forget them; and a knowledge graph of entities "
                               "(with observations) and the relations between them. One "
                               "tenant per server.",
                  on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(url: str | None, tenant: str | None, user: str | None,
                      identity: str | None) -> None:
    """Run the server over stdio until the client disconnects."""
    import mcp.server.stdio

    tenant, user, identity = identity_from(tenant, user, identity)
    async with await connect_async(url) as client:
        who = await resolve(client, tenant, user, identity)
        server = build_server(client, who)
        async with mcp.server.stdio.stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


__all__ = ["Identity", "build_server", "identity_from", "resolve", "serve_stdio"]
