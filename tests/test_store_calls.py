"""How async code asks a store: inline, or on threads that never block the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from graph.errors import StoreTimeout, StoreUnavailable
from server.store_calls import INLINE, StoreCalls


def test_inline_calls_run_on_the_event_loop_thread() -> None:
    async def ask() -> int | None:
        return await INLINE(threading.get_ident)

    assert asyncio.run(ask()) == threading.get_ident()


def test_a_slow_call_on_threads_leaves_the_event_loop_serving() -> None:
    calls = StoreCalls(ThreadPoolExecutor(2))

    async def both() -> tuple[float, float]:
        began = time.monotonic()
        ticks = 0

        async def tick() -> float:
            nonlocal ticks
            while ticks < 5:
                await asyncio.sleep(0.01)
                ticks += 1
            return time.monotonic() - began

        slow = asyncio.ensure_future(calls(lambda: time.sleep(0.5)))
        ticked = await tick()
        await slow
        return ticked, time.monotonic() - began

    ticked, total = asyncio.run(both())
    assert ticked < 0.3 < total, "the loop ticked on while the slow call ran"


def test_a_call_past_its_patience_is_unavailable_and_the_next_fails_at_once() -> None:
    calls = StoreCalls(ThreadPoolExecutor(1), patience=0.1)

    async def ask() -> tuple[float, float]:
        began = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await calls(lambda: time.sleep(0.3))
        first = time.monotonic() - began
        began = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await calls(lambda: 1)
        return first, time.monotonic() - began

    first, second = asyncio.run(ask())
    assert first < 0.25 and second < 0.05


def test_a_deadline_shortens_the_patience_but_a_write_is_waited_for() -> None:
    calls = StoreCalls(ThreadPoolExecutor(1), patience=10)

    async def ask() -> str:
        with pytest.raises(StoreTimeout):
            await calls(lambda: time.sleep(0.3), deadline=time.monotonic() + 0.05)
        def write() -> str:
            time.sleep(0.2)
            return "written"

        return await calls(write, writes=True, deadline=time.monotonic() + 0.05)

    assert asyncio.run(ask()) == "written"


def test_a_request_out_of_its_own_time_does_not_make_the_store_look_away() -> None:
    calls = StoreCalls(ThreadPoolExecutor(2), patience=10)

    async def ask() -> int:
        with pytest.raises(StoreTimeout):
            await calls(lambda: time.sleep(0.2), deadline=time.monotonic() + 0.01)
        # Another request, with time of its own, still asks the store.
        return await calls(lambda: 7, deadline=time.monotonic() + 5)

    assert asyncio.run(ask()) == 7


def _unreachable() -> None:
    raise StoreUnavailable("down")


def test_a_request_out_of_time_while_the_store_is_in_doubt_is_told_to_come_back() -> None:
    """A restarting server accepts connections before it answers: once the store has been
    out of reach lately, a request whose time runs out waiting on it is told the store is
    unavailable (503, come back), not that its question was too slow; and other requests
    still go on asking."""
    calls = StoreCalls(ThreadPoolExecutor(2), patience=10)
    calls.rest = 0.0

    async def ask() -> int:
        with pytest.raises(StoreUnavailable):
            await calls(_unreachable)
        with pytest.raises(StoreUnavailable):
            await calls(lambda: time.sleep(0.2), deadline=time.monotonic() + 0.01)
        return await calls(lambda: 7, deadline=time.monotonic() + 5)

    assert asyncio.run(ask()) == 7


def test_a_call_cut_short_that_then_fails_puts_the_store_in_doubt() -> None:
    calls = StoreCalls(ThreadPoolExecutor(2), patience=10)
    calls.rest = 0.0

    def slowly_unreachable() -> None:
        time.sleep(0.1)
        _unreachable()

    async def ask() -> None:
        with pytest.raises(StoreTimeout):
            await calls(slowly_unreachable, deadline=time.monotonic() + 0.01)
        for _ in range(200):  # until the first call's thread ends, unreachable
            if calls._in_doubt():
                break
            await asyncio.sleep(0.05)
        with pytest.raises(StoreUnavailable):
            await calls(lambda: time.sleep(0.2), deadline=time.monotonic() + 0.01)

    asyncio.run(ask())


def test_a_server_timeout_just_after_the_store_was_away_says_come_back() -> None:
    calls = StoreCalls(ThreadPoolExecutor(2), patience=10)
    calls.rest = 0.0

    def too_slow() -> None:
        raise StoreTimeout("the server's own timeout")

    async def ask() -> None:
        with pytest.raises(StoreTimeout):
            await calls(too_slow)  # a healthy store's slow question stays a timeout
        with pytest.raises(StoreUnavailable):
            await calls(_unreachable)
        with pytest.raises(StoreUnavailable):
            await calls(too_slow)

    asyncio.run(ask())
