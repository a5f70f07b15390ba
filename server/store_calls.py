"""How async code asks the store: inline when answers come from memory, on a bounded pool of
threads when each one waits on a server, so a slow answer never stalls the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Answer = TypeVar("Answer")


class StoreCalls:
    """Runs store work for async code: `await calls(lambda: store.people(ids))`.

    With no threads the work runs at once on the event loop: the embedded store answers
    from memory in well under a millisecond, less than a hop to a thread and back costs.
    With threads, at most that many calls wait on the server at once and the event loop
    goes on serving other requests meanwhile; the rest queue for a thread.
    """

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._pool = (ThreadPoolExecutor(threads, thread_name_prefix="famgraph-store")
                      if threads else None)

    async def __call__(self, work: Callable[[], Answer]) -> Answer:
        if self._pool is None:
            return work()
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)


INLINE = StoreCalls()
