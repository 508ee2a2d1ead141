"""Operating the database: migrations (Alembic), maintenance of the search indexes, and the
quickstart that runs the whole system end to end."""
