"""Framework adapters, each an optional extra and never imported by ``cogdb/__init__``:

- :mod:`cogdb.integrations.langchain` — ``CogdbVectorStore`` (``pip install 'cogdb[langchain]'``)
- :mod:`cogdb.integrations.langgraph` — ``CogdbStore`` / ``AsyncCogdbStore`` (``cogdb[langgraph]``)
- :mod:`cogdb.integrations.mcp` — the ``cogdb mcp`` server (``cogdb[mcp]``)

They are thin: a scope of the client (:mod:`cogdb.api`) and the same SQL functions. The
tenant and the user always come from the adapter's construction (or the server's
configuration), never from a namespace, a tool argument or a document's metadata.
"""
