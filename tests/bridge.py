"""The async client behind the sync client's interface, so one contract suite runs against
both (conftest's ``contract_client`` fixture).

The async client runs on an event loop in a thread of its own. Each scope is one long-lived
task there (a scope's context variable and transaction belong to the task that opened it):
the test's calls travel to that task through a queue and their results, or exceptions, come
back. Leaving the ``with`` block with an exception re-raises it inside the task's
``async with``, so the async scope sees exactly what a sync scope would.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cogdb


class EventLoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class BridgedScope:
    """Calls the async scope's methods in its own task and waits for them."""

    def __init__(self, scope: cogdb.AsyncScope, calls: asyncio.Queue, loop: EventLoopThread):
        self._scope, self._calls, self._loop = scope, calls, loop

    def _submit(self, item: Any) -> Any:
        done: concurrent.futures.Future = concurrent.futures.Future()
        self._loop.loop.call_soon_threadsafe(self._calls.put_nowait, (item, done))
        return done.result()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._scope, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._submit(lambda: attr(*args, **kwargs))
        return call


class AsyncBridge:
    """``cogdb.AsyncClient`` with ``with client.scope(…) as s: s.method(…)`` calls."""

    is_async = True

    def __init__(self, url: str, pool_size: int = 2) -> None:
        self._loop = EventLoopThread()
        self.client: cogdb.AsyncClient = self._loop.run(
            cogdb.connect_async(url, pool_size=pool_size))

    async def _scope_task(self, tenant: Any, user: Any, opened: concurrent.futures.Future,
                          calls: asyncio.Queue) -> None:
        try:
            async with self.client.scope(tenant, user) as s:
                opened.set_result(s)
                while True:
                    item, done = await calls.get()
                    if item is None:
                        done.set_result(None)
                        return
                    if isinstance(item, BaseException):
                        done.set_result(None)
                        raise item
                    try:
                        result = item()
                        if inspect.isawaitable(result):
                            result = await result
                    except BaseException as exc:
                        done.set_exception(exc)
                    else:
                        done.set_result(result)
        except BaseException as exc:
            if not opened.done():
                opened.set_exception(exc)
            else:
                raise

    @contextmanager
    def scope(self, tenant: Any, user: Any = None) -> Iterator[BridgedScope]:
        opened: concurrent.futures.Future = concurrent.futures.Future()
        calls: asyncio.Queue = asyncio.Queue()
        task = asyncio.run_coroutine_threadsafe(
            self._scope_task(tenant, user, opened, calls), self._loop.loop)
        bridged = BridgedScope(opened.result(), calls, self._loop)
        try:
            yield bridged
        except BaseException as exc:
            bridged._submit(exc)
            try:
                task.result()
            except BaseException as raised:
                if raised is not exc:
                    raise
            raise
        else:
            bridged._submit(None)
            task.result()

    def close(self) -> None:
        self._loop.run(self.client.close())
        self._loop.stop()
