"""cogdb's MCP server (``pip install 'cogdb[mcp]'``, run ``cogdb mcp``): see
:mod:`cogdb.integrations.mcp.server`. Tools: :mod:`.memory_tools` (remember, search,
forget); the knowledge-graph tools of the reference memory server are written down, ready,
in :mod:`.knowledge_tools`."""
from .server import Identity, build_server, resolve, serve_stdio

__all__ = ["Identity", "build_server", "resolve", "serve_stdio"]
