"""``@operation``: a scope method written once as steps, run by either client.

The decorated method is a generator that yields :class:`~cogdb.db.scope.Statement` and
:class:`~cogdb.db.scope.Compute` steps and returns the result. Called on a sync
:class:`cogdb.Scope` it returns the result; on a :class:`cogdb.AsyncScope`, an awaitable of
it (each scope's ``_run`` drives the steps). ``method.steps`` is the bare generator function,
for one operation that builds on another (``yield from Other.method.steps(self, …)``).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def operation(fn: Callable[..., Any]) -> Any:
    @functools.wraps(fn)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(fn(self, *args, **kwargs))

    call.steps = fn  # type: ignore[attr-defined]
    return call
