"""The audit's writer in a process of its own, and the pipe the server talks to it over.

Every answer waits for its audit rows to be durable. When the writer was a thread it
shared the interpreter lock with the requests: it gave the lock up in every SQLite call
and the fsync, and won it back only when the busy event loop let go, up to a switch
interval (5 ms) each time, so a commit that takes 1.5 ms alone took 20 ms or more under
load, and every request in it waited that long. A process has its own interpreter. The
server writes each request's rows to the writer's stdin and reads the answers on its
own event loop (`add_reader`), so no thread of the server waits for the lock at all.

The protocol is lines of text. A request: its number, then each row's JSON, separated by
tabs (JSON made by `json.dumps` escapes every tab and newline inside it). An answer: the
number, then `ok`, or `err` and why. The writer commits everything that has arrived
since its last commit in one transaction, so requests finishing together share an
fsync, and answers each. If it dies, everything waiting fails (the caller fails
closed), and the next request starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

# A writer given this long to finish what it holds when the server stops.
_STOP_SECONDS = 10.0
_PROJECT = Path(__file__).resolve().parent.parent
_CLOSED = "audit log is closed"


class WriterFailed(Exception):
    """The writer could not commit these rows, or is gone; the message says which."""


class WriterPipe:
    """One writer process and the requests waiting on it, for one event loop."""

    def __init__(self, argv: list[str], loop: asyncio.AbstractEventLoop) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PROJECT), env.get("PYTHONPATH", "")) if p)
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            bufsize=0, env=env)
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to = self._process.stdin.fileno()
        self._from = self._process.stdout.fileno()
        os.set_blocking(self._to, False)
        os.set_blocking(self._from, False)
        self.loop = loop
        self._waiting: dict[int, asyncio.Future[None]] = {}
        self._numbered = 0
        self._unsent = bytearray()
        self._partial = b""
        self.failed: str | None = None
        loop.add_reader(self._from, self._on_answers)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def waiting(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._waiting)

    def send(self, texts: list[str]) -> asyncio.Future[None]:
        """Queue these rows (each already its JSON text) for the next commit; the future is
        done when they are durable, or fails with `WriterFailed`."""
        done: asyncio.Future[None] = self.loop.create_future()
        if self.failed is not None:
            done.set_exception(WriterFailed(self.failed))
            return done
        # A request that gave up waiting never reads its outcome; asyncio should not
        # report that as an error never retrieved.
        done.add_done_callback(_observed)
        self._numbered += 1
        self._waiting[self._numbered] = done
        self._unsent += "\t".join([str(self._numbered), *texts]).encode() + b"\n"
        self._flush()
        return done

    def wait(self, done: asyncio.Future[None], timeout: float) -> None:
        """Block until `done` (from `send`) is, for a caller on the loop's own thread that
        cannot await (a synchronous resolver raising a review). The loop is held up
        meanwhile, so this reads the answers itself; any for other requests are handed
        on as the loop would have.

        Raises
        ------
        WriterFailed : the rows were not committed, or no answer came within `timeout`
        """
        deadline = time.monotonic() + timeout
        while not done.done():
            left = deadline - time.monotonic()
            if left <= 0:
                self.abandon(f"did not commit within {timeout:g} s")
                break
            # poll, not select: a server with many sockets open may give the pipe a
            # descriptor past select's 1024.
            ready = select.poll()
            ready.register(self._from, select.POLLIN)
            if self._unsent:
                ready.register(self._to, select.POLLOUT)
            for fd, _ in ready.poll(int(left * 1000) + 1):
                if fd == self._from:
                    self._on_answers()
                elif self.failed is None:
                    self._flush()
        done.result()

    def _flush(self) -> None:
        try:
            written = os.write(self._to, self._unsent)
        except BlockingIOError:
            written = 0
        except OSError as exc:
            self._fail(f"audit writer cannot be reached: {type(exc).__name__}")
            return
        del self._unsent[:written]
        if self._unsent:  # the writer is behind: send the rest when the pipe has room
            self.loop.add_writer(self._to, self._flush)
        else:
            self.loop.remove_writer(self._to)

    def _on_answers(self) -> None:
        try:
            data = os.read(self._from, 1 << 16)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(f"audit writer cannot be read: {type(exc).__name__}")
            return
        if not data:
            self._fail(f"audit writer stopped (exit status {self._process.poll()})")
            return
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            try:
                number, status, *why = line.decode().split("\t")
                done = self._waiting.pop(int(number), None)
            except ValueError:  # not an answer: nothing after it can be trusted either
                self._fail("audit writer answered out of protocol")
                return
            if done is None or done.done():
                continue
            if status == "ok":
                done.set_result(None)
            else:
                done.set_exception(WriterFailed(why[0] if why else "audit writer failed"))

    def abandon(self, reason: str) -> None:
        """Give up on a writer that is alive but not answering (a hung disk, a stopped
        process): everything waiting fails, and the next request starts another."""
        if self.failed is None:
            self._fail(reason)

    def _fail(self, reason: str) -> None:
        self._end(reason, kill=True)

    def _end(self, reason: str, kill: bool) -> None:
        """Everything waiting fails, this pipe takes no more, and the writer is reaped:
        killed, or (`kill` false) left to commit what it has read first."""
        if self.failed is None:
            self.failed = reason
            if not self.loop.is_closed():
                self.loop.remove_reader(self._from)
                self.loop.remove_writer(self._to)
        for done in self._waiting.values():
            if not done.done() and not self.loop.is_closed():
                done.set_exception(WriterFailed(self.failed))
        self._waiting.clear()
        if kill:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
        stop_process(self._process)

    def close(self) -> None:
        """Let the writer commit what it holds and stop; whatever is still waiting fails.

        From another thread while the pipe's loop runs, the closing is done on the loop.
        """
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if self.loop.is_running() and current is not self.loop:
            finished = threading.Event()

            def close_there() -> None:
                try:
                    self._end(_CLOSED, kill=False)
                finally:
                    finished.set()

            try:
                self.loop.call_soon_threadsafe(close_there)
            except RuntimeError:  # the loop closed meanwhile
                self._end(_CLOSED, kill=False)
                return
            finished.wait(_STOP_SECONDS * 2)
            return
        self._end(_CLOSED, kill=False)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Close the writer's stdin (it commits what it has read, then exits), and reap it."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        process.wait(_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        # A writer stuck in the kernel (a hard-mounted disk) may not die at once: leave
        # it rather than hang the server's shutdown.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(_STOP_SECONDS)


def _observed(done: asyncio.Future[None]) -> None:
    if not done.cancelled():
        done.exception()


def serve(commit: Callable[[list[str]], None], source: int = 0, answers: int = 1) -> None:
    """The writer's side: read requests from `source`, commit each batch that has arrived,
    answer every request in it on `answers`; return at end of input."""
    held = b""
    while data := os.read(source, 1 << 20):
        *lines, held = (held + data).split(b"\n")
        if not lines:
            continue
        numbers, texts = [], []
        for line in lines:
            number, *rows = line.decode().split("\t")
            numbers.append(number)
            texts.extend(rows)
        try:
            if texts:  # a request with no rows is a ping: answered, nothing written
                commit(texts)
            outcome = "ok"
        except Exception as exc:  # every request must hear why, whatever it is
            why = " ".join(str(exc).split()) or type(exc).__name__
            outcome = f"err\t{why}"
        reply = memoryview("".join(f"{n}\t{outcome}\n" for n in numbers).encode(
            errors="replace"))
        # Once the server has stopped listening, go on committing what it sent anyway.
        with contextlib.suppress(BrokenPipeError):
            while reply:
                reply = reply[os.write(answers, reply):]
