"""How async code asks the store: inline when answers come from this machine, on a bounded pool of
threads when each one waits on a server, so a slow answer never stalls the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from graph.errors import StoreTimeout, StoreUnavailable

Answer = TypeVar("Answer")


class StoreCalls:
    """Runs store work for async code: `await calls(lambda: store.people(ids))`.

    With no pool the work runs at once on the event loop: the embedded store answers
    from its own SQLite file by index, most questions in under a millisecond (less than
    a hop to a thread and back costs; docs/stores.md).
    With a pool of threads, at most that many calls wait on the server at once and the event loop
    goes on serving other requests meanwhile; the rest queue for a thread. A read not
    answered within `patience` seconds raises `StoreUnavailable`: the server enforces its
    own, shorter timeout on every read, so one that has not answered by then is not
    answering at all (a server stopping with the call in flight keeps it for seconds).
    Once a call has found the store out of reach, calls in the next `rest` seconds fail at
    once the same way: a request that asks several times in turn then fails within its
    deadline, and a stopped server is not asked by every request in flight.
    """

    rest = 1.0

    def __init__(self, pool: Executor | None = None, patience: float | None = None) -> None:
        self.patience = patience
        self._away_until = 0.0
        self._pool = pool

    async def __call__(self, work: Callable[[], Answer], *, writes: bool = False,
                       deadline: float | None = None) -> Answer:
        """`work`'s answer, waited for until `patience` runs out or the `deadline`
        (time.monotonic()) passes. Work that `writes` is waited for however long it takes:
        giving up on it would not stop a write that then commits."""
        if self._pool is None:
            return work()
        if time.monotonic() < self._away_until:
            raise StoreUnavailable("the store was out of reach a moment ago")
        running = asyncio.get_running_loop().run_in_executor(self._pool, work)
        try:
            patience = self.patience
            cut_by_deadline = False
            if deadline is not None:
                left = max(deadline - time.monotonic(), 0.0)
                cut_by_deadline = patience is None or left < patience
                patience = left if cut_by_deadline else patience
            if writes or patience is None:
                return await running
            try:
                return await asyncio.wait_for(running, patience)
            except TimeoutError:
                if cut_by_deadline:
                    # This request ran out of its own time: that says nothing of the store,
                    # so other requests go on asking it.
                    raise StoreTimeout("the request's time ran out waiting for the store"
                                       ) from None
                raise StoreUnavailable(
                    f"the store did not answer within {patience:.1f} s") from None
        except StoreUnavailable:
            self._away_until = time.monotonic() + self.rest
            raise


INLINE = StoreCalls()
