"""The Python API: one module per area, one method per SQL function.

``fields`` describes a memory's fields once; ``memories`` and ``search`` hold the scoped
operations, ``provisioning`` the admin ones, and ``client`` assembles them into
:class:`~cogdb.api.client.Scope` and :class:`~cogdb.api.client.Client`. A new area (knowledge,
governance) gets its own module here and its mixin in ``Scope``.
"""
