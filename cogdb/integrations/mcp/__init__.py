"""cogdb's MCP server (``pip install 'cogdb[mcp]'``, run ``cogdb mcp``): see
:mod:`cogdb.integrations.mcp.server`. Tools: :mod:`.memory_tools` (remember, search,
forget) and :mod:`.knowledge_tools` (the reference memory server's knowledge-graph tools on
cogdb's entities and relationships)."""
from .server import Identity, build_server, resolve, serve_stdio

__all__ = ["Identity", "build_server", "resolve", "serve_stdio"]
