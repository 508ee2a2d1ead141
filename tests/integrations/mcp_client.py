"""The MCP SDK's own client starting ``cogdb mcp`` over stdio as the test logins (a real
subprocess, as an MCP host would), for the MCP suites."""
from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


@asynccontextmanager
async def server(db: Any, *args: str) -> AsyncIterator[ClientSession]:
    """An initialised client session of ``cogdb mcp *args`` on this test's database."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "cogdb", "mcp", *args],
                                   env={"COGDB_DATABASE_URL": db.app_url,
                                        "COGDB_ADMIN_URL": db.admin_url})
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session
