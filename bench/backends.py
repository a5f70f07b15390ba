"""Each family-context question's latency on both stores, side by side in one run.

    python -m bench.backends --people 100000 [--store DIR] [--only search] [--embedded-only]
                             [--page-cache-mb 1024]

Generates a borough, loads it through the real pipeline into the embedded store, copies
the same nodes and edges into the project's own Neo4j in batches, then asks every
question for the same sample of people on both. Reports medians, p95s and the ratio.
Search is also timed the way it was asked before `Store.search_matches` ("search ...
(union)"), for a before-and-after in one run on the same machine load.
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
from graph.model import Person
from graph.neo4j.store import Neo4jStore
from graph.normalise import name_tokens
from graph.questions.family import genogram_of
from graph.questions.household import household_of
from graph.questions.search import (
    CANDIDATE_LIMIT,
    MAX_RESULTS,
    WEIGHTS,
    Candidate,
    _name_match,
    _swapped,
    best_first,
    fields_matched,
    search_people,
)
from graph.questions.services import Scope, services_engaged
from graph.store import GraphBatch, SearchCriteria, Store
from loaders.pipeline import load_extract
from loaders.synthetic import generate_borough
from tools.neo4j.launcher import start

# Nodes or edges per batch the copy writes, each batch one transaction (as a load is): the
# store writes a batch in UNWIND statements of `ROWS_PER_STATEMENT` rows.
CHUNK = 20_000


def search_by_union(
    store: Store,
    criteria: SearchCriteria,
    limit: int = 20,
    *,
    birth_year: int | None = None,
    record: tuple[str, str] | None = None,
) -> list[Candidate]:
    """`search_people` as it was before `Store.search_matches`: every person any name key,
    birth date or postcode finds, ranked one by one. Kept as the reference the bench times
    and the tests compare the narrower path against (tests/test_search_paths.py)."""
    owner = None
    if record is not None:
        key = f"R:{record[0]}/{record[1]}"
        owner = store.record_owners([key]).get(key)
    if criteria.empty and birth_year is None and owner is None:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    found: dict[str, Person] = {}
    if not criteria.empty:
        found |= {p.id: p for p in store.search_candidates(criteria, CANDIDATE_LIMIT)}
    swapped = _swapped(criteria.birth_date) if criteria.birth_date else None
    if swapped:
        again = SearchCriteria(birth_date=swapped)
        found |= {p.id: p for p in store.search_candidates(again, CANDIDATE_LIMIT)}
    if owner:
        found |= store.people([owner])
    at_postcode: set[str] = set()
    if criteria.postcode:
        only_postcode = SearchCriteria(postcode=criteria.postcode)
        at_postcode = {p.id for p in store.search_candidates(only_postcode, CANDIDATE_LIMIT)}
    wanted = name_tokens(criteria.name or "")
    ranked = []
    for person in found.values():
        matched = fields_matched(person, criteria, owner=owner, swapped=swapped,
                                 birth_year=birth_year, at_postcode=at_postcode)
        score = sum(WEIGHTS[m] for m in matched)
        if wanted:
            name = _name_match(wanted, person)
            if name is None and not matched:
                continue
            if name is not None:
                matched.insert(0, name[0])
                score += name[1]
        if birth_year and person.birth_date and person.birth_date.year != birth_year:
            continue
        if matched:
            ranked.append(Candidate(person, round(score, 3), tuple(matched)))
    return best_first(ranked, limit)


def questions(store: Store, searches: dict[str, SearchCriteria]
              ) -> dict[str, Callable[[str], object]]:
    """Each question by name; `searches` holds each sampled person's search, made beforehand
    so that looking the person up is not timed as part of searching for them."""
    return {
        # One indexed node, no family: on Neo4j, what a round trip alone costs on this machine.
        "one-node read (floor)": lambda _: store.last_change(),
        "household": lambda pid: household_of(store, pid),
        "services (child)": lambda pid: services_engaged(store, pid, Scope.CHILD),
        "services (household)": lambda pid: services_engaged(store, pid, Scope.HOUSEHOLD),
        "services (family)": lambda pid: services_engaged(store, pid, Scope.FAMILY),
        "genogram depth 3": lambda pid: genogram_of(store, pid, 3),
        "search name + birth date": lambda pid: search_people(store, searches[pid]),
        "search ... (union)": lambda pid: search_by_union(store, searches[pid]),
    }


def timed(ask: Callable[[str], object], people: list[str]) -> list[float]:
    took = []
    for pid in people:
        started = time.perf_counter()
        ask(pid)
        took.append((time.perf_counter() - started) * 1000)
    return took


def copy_into(source: EmbeddedStore, target: Neo4jStore) -> int:
    """Write the embedded store's nodes, then its edges, into Neo4j; how many were written."""
    durable = source._durable  # bench only: the same nodes and edges, in chunks Neo4j can hold
    nodes, edges = list(durable.nodes()), list(durable.edges())
    for i in range(0, len(nodes), CHUNK):
        target.write(GraphBatch(nodes=nodes[i:i + CHUNK]))
    for i in range(0, len(edges), CHUNK):
        target.write(GraphBatch(edges=edges[i:i + CHUNK]))
    return len(nodes) + len(edges)


def resident_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def print_row(name: str, mine: list[float], theirs: list[float] | None) -> None:
    ma, pa = statistics.median(mine), statistics.quantiles(mine, n=20)[-1]
    row = f"{name:34} {ma:10.2f} {pa:11.2f}"
    if theirs is not None:
        mb, pb = statistics.median(theirs), statistics.quantiles(theirs, n=20)[-1]
        row += f" {mb:10.2f} {pb:11.2f} {mb / ma:15.1f}"
    print(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--warm", type=int, default=3,
                        help="times every question is asked of Neo4j before it is timed")
    parser.add_argument("--store", type=Path,
                        help="an embedded store already loaded (skips generating and loading)")
    parser.add_argument("--only", help="time only the questions whose names start with this")
    parser.add_argument("--embedded-only", action="store_true",
                        help="time the embedded store alone (no Neo4j copy)")
    parser.add_argument("--page-cache-mb", type=int, default=1024,
                        help="Neo4j's page cache: enough to hold the copied store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        if args.store:
            embedded = EmbeddedStore(args.store)
            embedded.migrate()  # a folder kept from an older famgraph
            print(f"embedded open: {time.perf_counter() - started:.1f} s, "
                  f"{resident_mb():,.0f} MB resident")
        else:
            summary = generate_borough(people=args.people, seed=1, out=root / "borough")
            embedded = EmbeddedStore(root / "store")
            load_extract(embedded, [root / "borough" / s for s in summary.records_by_system])
            print(f"embedded load: {time.perf_counter() - started:.1f} s")
        people = embedded._durable.labelled_ids(Person.label)
        print(f"people: {len(people):,}")
        sample = random.Random(7).sample(people, min(args.sample, len(people)))
        searches = {}
        for pid, person in embedded.people(sample).items():
            searches[pid] = SearchCriteria(name=person.display_name, birth_date=person.birth_date)
        mine = questions(embedded, searches)
        wanted = [name for name in mine if not args.only or name.startswith(args.only)]
        if args.embedded_only:
            print(f"{'question':34} {'embedded ms':>22}")
            print(f"{'':34} {'median':>10} {'p95':>11}")
            for name in wanted:
                print_row(name, timed(mine[name], sample), None)
                # The store reads a family from disk the first time it is asked about: the
                # same question again shows what a page's later questions cost.
                if not name.endswith("(union)"):
                    print_row(f"{name} (again)", timed(mine[name], sample), None)
            print(f"embedded resident after the questions: {resident_mb():,.0f} MB")
            embedded.close()
            return
        server = start(root / "neo4j", page_cache_mb=args.page_cache_mb)
        driver = GraphDatabase.driver(server.uri, auth=(server.user, server.password),
                                      notifications_min_severity="OFF")
        try:
            neo = Neo4jStore(driver)
            neo.migrate()
            neo.prepare()
            started = time.perf_counter()
            items = copy_into(embedded, neo)
            took = time.perf_counter() - started
            print(f"neo4j copy: {took:.1f} s ({items:,} nodes and edges, {items / took:,.0f}/s)")
            print(f"{'question':34} {'embedded ms':>22} {'neo4j ms':>22} {'neo4j/embedded':>15}")
            print(f"{'':34} {'median':>10} {'p95':>11} {'median':>10} {'p95':>11}")
            theirs = questions(neo, searches)
            # Neo4j's JIT compiles a query's path over its first thousands of runs (a cold
            # Neo4j answered the front door at half its settled rate): a served Neo4j runs
            # warm, so every question is asked of the whole sample first, `--warm` times.
            for _ in range(args.warm):
                for name in wanted:
                    timed(theirs[name], sample)
            for name in wanted:
                print_row(name, timed(mine[name], sample), timed(theirs[name], sample))
                # Each store reads a family from disk the first time it is asked about (the
                # embedded store through SQLite, Neo4j into its page cache): the same
                # question again shows what a page's later questions cost.
                if not name.endswith("(union)"):
                    print_row(f"{name} (again)", timed(mine[name], sample),
                              timed(theirs[name], sample))
        finally:
            driver.close()
            server.stop()
        embedded.close()


if __name__ == "__main__":
    main()
