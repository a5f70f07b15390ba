"""How async code asks the store: inline when answers come from this machine, on a bounded pool of
threads when each one waits on a server, so a slow answer never stalls the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

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
    A request that runs out of its own time waiting gets `StoreTimeout`, and other requests
    go on asking; but if the store has been out of reach in the last `doubt` seconds (a
    server restarting accepts connections before it answers, and then plans each question
    afresh), that wait, or a timeout of the server's own, is most likely the store coming
    back, and the request gets `StoreUnavailable`, so its client is told to come back.
    """

    rest = 1.0
    doubt = 10.0

    def __init__(self, pool: Executor | None = None, patience: float | None = None) -> None:
        self.patience = patience
        self._away_until = 0.0
        self._failed_at = float("-inf")
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
                # Shielded: the thread goes on either way, and how it ends is worth knowing.
                return await asyncio.wait_for(asyncio.shield(running), patience)
            except TimeoutError:
                running.add_done_callback(self._learn_from)
                if not cut_by_deadline:
                    raise StoreUnavailable(
                        f"the store did not answer within {patience:.1f} s") from None
                # This request ran out of its own time: that alone says nothing of the
                # store, so other requests go on asking it (and learn from how this call
                # ends, when it does).
                raise StoreTimeout("the request's time ran out waiting for the store"
                                   ) from None
        except StoreTimeout as exc:
            # This request's time, or the server's own timeout, run out just after the
            # store was out of reach: a server back from a restart plans every question
            # afresh, slowly, and is still coming back.
            if self._in_doubt():
                raise _Unanswered("the store is coming back and did not answer in time"
                                  ) from exc
            raise
        except StoreUnavailable:
            self._failed_at = time.monotonic()
            self._away_until = self._failed_at + self.rest
            raise

    def _in_doubt(self) -> bool:
        return time.monotonic() - self._failed_at < self.doubt

    def _learn_from(self, running: asyncio.Future[Any]) -> None:
        if not running.cancelled() and isinstance(running.exception(), StoreUnavailable):
            self._failed_at = time.monotonic()


class _Unanswered(StoreUnavailable):
    """Out of reach for this request, without making the store look away to others."""


INLINE = StoreCalls()
