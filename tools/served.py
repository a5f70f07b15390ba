"""famgraph served on loopback and driven by Debian's headless Chromium, offline.

One place for what the browser tests, `tools.screenshots` and `bench.genogram` share: a
free port, the app served in a thread until the block ends, Chromium's flags for a closed
network, and a browser context that refuses every request to another host.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from playwright.sync_api import Browser, BrowserContext, Route
from starlette.applications import Starlette

CHROMIUM = "/usr/bin/chromium"
# The flags that keep Chromium from reaching out on a closed network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Starlette, port: int) -> Iterator[str]:
    """`app` served on 127.0.0.1:`port` in a thread for the block; yields its base URL.

    Raises
    ------
    RuntimeError : the server did not start within 20 seconds
    """
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def local_context(browser: Browser, base_url: str, offsite: list[str] | None = None,
                  **options: object) -> BrowserContext:
    """A browser context whose requests to anywhere but `base_url` are refused (and, when
    `offsite` is given, listed there)."""
    context = browser.new_context(**options)  # type: ignore[arg-type]

    def only_local(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            if offsite is not None:
                offsite.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    return context
