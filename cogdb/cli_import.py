"""CLI commands for import, export and provisioning listings (issue 4).

Registered on the groups of :mod:`cogdb.cli` when that module is imported.
"""
