"""Each family-context question's latency on both stores, side by side in one run.

    python -m bench.backends --people 100000 [--store DIR]

Generates a borough, loads it through the real pipeline into the embedded store, copies
the same nodes and edges into the project's own Neo4j in batches, then asks every
question for the same sample of people on both. Reports medians, p95s and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from neo4j import GraphDatabase

from graph.embedded import EmbeddedStore
from graph.neo4j.store import Neo4jStore
from graph.questions.family import genogram_of
from graph.questions.household import household_of
from graph.questions.search import search_people
from graph.questions.services import Scope, services_engaged
from graph.store import GraphBatch, SearchCriteria, Store
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough
from tools.neo4j.launcher import start

CHUNK = 20_000


def questions(store: Store) -> dict[str, Callable[[str], object]]:
    def search(pid: str) -> object:
        person = store.people([pid])[pid]
        return search_people(store, SearchCriteria(name=person.display_name,
                                                   birth_date=person.birth_date))

    return {
        "household": lambda pid: household_of(store, pid),
        "services (child)": lambda pid: services_engaged(store, pid, Scope.CHILD),
        "services (household)": lambda pid: services_engaged(store, pid, Scope.HOUSEHOLD),
        "services (family)": lambda pid: services_engaged(store, pid, Scope.FAMILY),
        "genogram depth 3": lambda pid: genogram_of(store, pid, 3),
        "search name + birth date": search,
    }


def timed(ask: Callable[[str], object], people: list[str]) -> list[float]:
    took = []
    for pid in people:
        started = time.perf_counter()
        ask(pid)
        took.append((time.perf_counter() - started) * 1000)
    return took


def copy_into(source: EmbeddedStore, target: Neo4jStore) -> None:
    graph = source._graph  # bench only: the same nodes and edges, in chunks Neo4j can hold
    nodes = [data["obj"] for _, data in graph.nodes(data=True)]
    edges = [data["obj"] for _, _, data in graph.edges(data=True)]
    for i in range(0, len(nodes), CHUNK):
        target.write(GraphBatch(nodes=nodes[i:i + CHUNK]))
    for i in range(0, len(edges), CHUNK):
        target.write(GraphBatch(edges=edges[i:i + CHUNK]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--store", type=Path,
                        help="an embedded store already loaded (skips generating and loading)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        if args.store:
            embedded = EmbeddedStore(args.store)
            print(f"embedded open: {time.perf_counter() - started:.1f} s")
        else:
            summary = generate_borough(people=args.people, seed=1, out=root / "borough")
            embedded = EmbeddedStore(root / "store")
            load_extract(embedded, [root / "borough" / s for s in summary.records_by_system])
            print(f"embedded load: {time.perf_counter() - started:.1f} s")
        print(f"people: {len(embedded._by_label['Person']):,}")
        server = start(root / "neo4j")
        driver = GraphDatabase.driver(server.uri, auth=(server.user, server.password),
                                      notifications_min_severity="OFF")
        try:
            neo = Neo4jStore(driver)
            started = time.perf_counter()
            copy_into(embedded, neo)
            print(f"neo4j copy: {time.perf_counter() - started:.1f} s")
            people = sorted(embedded._by_label["Person"])
            sample = random.Random(7).sample(people, min(args.sample, len(people)))
            print(f"{'question':26} {'embedded ms':>22} {'neo4j ms':>22} {'neo4j/embedded':>15}")
            print(f"{'':26} {'median':>10} {'p95':>11} {'median':>10} {'p95':>11}")
            mine, theirs = questions(embedded), questions(neo)
            for name in mine:
                timed(theirs[name], sample[:10])  # warm the plan cache
                a, b = timed(mine[name], sample), timed(theirs[name], sample)
                pa = statistics.quantiles(a, n=20)[-1]
                pb = statistics.quantiles(b, n=20)[-1]
                ma, mb = statistics.median(a), statistics.median(b)
                print(f"{name:26} {ma:10.2f} {pa:11.2f} {mb:10.2f} {pb:11.2f} {mb / ma:15.1f}")
        finally:
            driver.close()
            server.stop()
        embedded.close()


if __name__ == "__main__":
    main()
