"""Reaching the database: which server (the environment or the embedded one), the connection
pool and its hygiene, the scope's connection handle, cogdb's exceptions and the checks on
values that cannot travel to the server intact. Nothing here knows a memory's fields."""
