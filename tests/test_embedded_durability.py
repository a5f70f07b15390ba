"""The embedded store survives restarts and kill -9 with every committed batch, no partial one."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.questions.household import household_of
from tests.families import FAMILIES, TODAY

BATCH_SIZE = 400

WRITER = f"""
import sys
from pathlib import Path
from graph.embedded import EmbeddedStore
from graph.model import Person
from graph.store import GraphBatch
store = EmbeddedStore(Path(sys.argv[1]))
for n in range(1_000_000):
    store.write(GraphBatch(nodes=[
        Person(id=f"b{{n}}-{{i}}", given_names="Batch", family_name=str(n))
        for i in range({BATCH_SIZE})
    ]))
    print(n, flush=True)
"""


def test_reopened_store_answers_as_before(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    for make in FAMILIES.values():
        store.write(make())
    before = (store.counts(), [m.person.id for m in household_of(store, "kim", TODAY).members])
    store.close()
    reopened = EmbeddedStore(tmp_path)
    after = (reopened.counts(), [m.person.id for m in household_of(reopened, "kim", TODAY).members])
    reopened.close()
    assert after == before


def test_kill_9_mid_load_keeps_every_committed_batch_and_no_partial_one(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert writer.stdout is not None
    committed = -1
    deadline = time.monotonic() + 60
    while committed < 5 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    time.sleep(0.05)  # let it get well into the next batch
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert committed >= 5, "the writer never got going"

    store = EmbeddedStore(tmp_path)
    per_batch = Counter(p.family_name for p in store.people(
        f"b{n}-{i}" for n in range(committed + 50) for i in range(BATCH_SIZE)).values())
    store.close()
    batches = sorted(int(n) for n in per_batch)
    assert all(count == BATCH_SIZE for count in per_batch.values()), "a batch was half written"
    assert batches == list(range(len(batches))), "batches are not a prefix of those written"
    assert len(batches) >= committed + 1, "a batch reported committed was lost"


def test_a_store_open_while_another_process_loads_sees_the_new_batches(tmp_path: Path) -> None:
    serving = EmbeddedStore(tmp_path)
    serving.write(FAMILIES["twins"]())
    loader = EmbeddedStore(tmp_path)  # as `famgraph load` would open it
    loader.write(FAMILIES["new_adult_in_household"]())
    loader.close()
    assert {m.person.id for m in household_of(serving, "zak", TODAY).members} == {"yva", "abe"}
    assert serving.counts()["Person"] == 6
    serving.close()


def test_opening_a_store_reads_its_history_with_the_collector_paused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    enabled_while_reading: list[bool] = []
    catch_up = EmbeddedStore._catch_up

    def spy(self: EmbeddedStore) -> None:
        enabled_while_reading.append(gc.isenabled())
        catch_up(self)

    monkeypatch.setattr(EmbeddedStore, "_catch_up", spy)
    assert gc.isenabled()
    EmbeddedStore(tmp_path).close()
    assert enabled_while_reading[0] is False
    assert gc.isenabled()


def test_a_failed_open_gives_the_collector_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: EmbeddedStore) -> None:
        raise StoreError("unreadable")

    monkeypatch.setattr(EmbeddedStore, "_catch_up", broken)
    with pytest.raises(StoreError):
        EmbeddedStore(tmp_path)
    assert gc.isenabled()
