"""An open-loop load generator: requests fall due at a fixed rate, whatever the server does.

`wrk` keeps every connection busy, so it measures how many requests per second a server
can give; the latency it reports at that point is mostly queueing (8 connections against
one worker wait about 8 service times each). Latency at a given load is measured by
offering that load: request i falls due at start + i / rate, goes out on the first of
`connections` keep-alive connections free, and its latency runs from when it fell due,
not from when it was sent, so a stall counts against every request it held up (no
coordinated omission, as in Gil Tene's wrk2).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenRun:
    offered_per_second: float
    completed_per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int


def http_request(method: str, host: str, port: int, path: str, headers: dict[str, str],
                 body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; its status. The servers measured here always send a length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith("content-length:")), None)
    if length is None:
        raise ValueError("a response without Content-Length: cannot tell where it ends")
    await reader.readexactly(length)
    return status


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of values sorted ascending."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


async def offer(host: str, port: int, request: bytes, rate: float, seconds: float,
                connections: int = 8) -> OpenRun:
    """Offer `rate` requests per second for `seconds` over `connections` connections."""
    total = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    next_index = 0
    start = time.perf_counter() + 0.05

    async def connection() -> None:
        nonlocal next_index, errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < total:
                due = start + next_index / rate
                next_index += 1
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(request)
                status = await _read_response(reader)
                latencies.append(time.perf_counter() - due)
                errors += not 200 <= status < 400
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return OpenRun(
        offered_per_second=rate,
        completed_per_second=len(ordered) / elapsed,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=ordered[-1] * 1000,
        errors=errors,
    )
