"""The open-loop load generator the front-door bench times latency with."""

from __future__ import annotations

import asyncio

from bench.openloop import http_request, offer, percentile

STALL_SECONDS = 0.3


async def _serve_with_one_stall() -> tuple[asyncio.Server, int, list[int]]:
    """An HTTP server that answers at once, except that its first answer takes 0.3 s."""
    served: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            served.append(length)
            if len(served) == 1:
                await asyncio.sleep(STALL_SECONDS)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], served


def test_a_stall_counts_against_every_request_it_held_up() -> None:
    async def run() -> tuple[float, float, float, int, int]:
        server, port, served = await _serve_with_one_stall()
        async with server:
            request = http_request("POST", "127.0.0.1", port, "/", {}, b"{}")
            found = await offer("127.0.0.1", port, request, rate=50, seconds=1.0,
                                connections=1)
        return found.p50_ms, found.p99_ms, found.max_ms, found.errors, len(served)

    p50, p99, longest, errors, served = asyncio.run(run())
    assert served == 50 and errors == 0
    # One connection, one request due every 20 ms: the ~14 requests falling due during
    # the 300 ms stall waited for it, and their latency says so (a closed-loop generator
    # would have sent them late and timed only the fast answers).
    assert longest >= STALL_SECONDS * 1000 * 0.9
    assert p99 >= STALL_SECONDS * 1000 * 0.5
    assert p50 < 100


def test_errors_are_counted() -> None:
    async def run() -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                writer.write(b"HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            request = http_request("GET", "127.0.0.1", port, "/", {})
            return (await offer("127.0.0.1", port, request, 40, 0.5, connections=2)).errors

    assert asyncio.run(run()) == 20


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile([7.0], 0.99) == 7.0
