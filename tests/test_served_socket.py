"""Subscriptions through the server `famgraph serve` runs, not only the in-process client.

Starlette's test client speaks to the app directly; this test goes through uvicorn as
configured for serving, so a socket library missing from the machine, or a config that
refuses upgrades, fails here.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.sync.client import connect

from server.app import create_app
from server.cli.serve import server_config
from server.policy import Purpose
from server.schema.relay import seq_cursor
from server.settings import Mode, Settings
from tests.test_changes_api import HANG_GUARD, PROTOCOL, SUBSCRIBE, load, new_adult
from tests.viewers import access_store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """The base address of a served app, a token for sam, and the store folder."""
    access_store(tmp_path, all_families=True)
    settings = Settings(store_dir=tmp_path, mode=Mode.DEVELOPMENT, host="127.0.0.1",
                        port=_free_port(), change_poll_seconds=0.02)
    app = create_app(settings)
    server = uvicorn.Server(server_config(app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG_GUARD
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "server did not start"
    auth = app.state.auth
    user = auth.user("sam")
    assert user is not None
    try:
        yield f"127.0.0.1:{settings.port}", str(auth.issue(user, Purpose.MASH_SCREENING)), tmp_path
    finally:
        server.should_exit = True
        thread.join(HANG_GUARD)


def _post(address: str, token: str, query: str, **variables: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://{address}/graphql", method="POST",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=HANG_GUARD) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def test_a_follower_hears_of_a_new_adult_over_the_served_socket(
        served: tuple[str, str, Path]) -> None:
    address, token, store_dir = served
    followed = _post(address, token,
                     "mutation($id: ID!) { follow(personId: $id) { person { id } } }", id="zak")
    assert followed == {"data": {"follow": {"person": {"id": "zak"}}}}
    with connect(f"ws://{address}/graphql", subprotocols=PROTOCOL,  # type: ignore[arg-type]
                 open_timeout=HANG_GUARD) as ws:
        ws.send(json.dumps({"type": "connection_init",
                            "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(ws.recv(HANG_GUARD)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "1", "type": "subscribe",
                            "payload": {"query": SUBSCRIBE, "operationName": "Watch",
                                        "variables": {"after": seq_cursor(0)}}}))
        load(store_dir, new_adult())
        message = json.loads(ws.recv(HANG_GUARD))
    assert message["type"] == "next", message
    change = message["payload"]["data"]["changes"]
    assert (change["kind"], change["person"]["id"], change["otherPerson"]["id"]) == (
        "NEW_ADULT_IN_HOUSEHOLD", "zak", "ivo")


def test_a_served_websocket_message_is_capped_like_a_request_body() -> None:
    """docs/security.md rule 30: uvicorn would take 16 MiB messages; famgraph serve takes no more
    than a request body."""
    settings = Settings(max_request_bytes=12_345)
    config = server_config(Starlette(), settings)
    assert config.ws_max_size == 12_345
