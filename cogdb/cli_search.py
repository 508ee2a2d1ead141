"""CLI commands for search maintenance and benchmarks (issue 3).

Registered on the groups of :mod:`cogdb.cli` when that module is imported.
"""
