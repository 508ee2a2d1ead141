"""What an MCP tool of cogdb's server is: its published definition (the exact JSON schema
clients see) and a handler that runs inside the server's scope."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.types import Tool

from ...api.async_client import AsyncScope

#: handler(scope, arguments) -> the structured result (a JSON object)
Handler = Callable[[AsyncScope, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ToolSpec:
    tool: Tool
    handler: Handler
    #: the result's text content (default: the structured result as indented JSON, as the
    #: reference memory server writes it)
    text: Callable[[dict[str, Any]], str] | None = None

    def render(self, result: dict[str, Any]) -> str:
        if self.text is not None:
            return self.text(result)
        return json.dumps(result, indent=2, ensure_ascii=False, default=str)
