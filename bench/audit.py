"""`python -m bench.audit [ROWS]`: the auditor's two questions on a large audit log.

docs/security.md rule 21 asks for "who looked at this child" and "everything this user looked
at" in under 2 seconds on 10 million rows. This writes ROWS chained rows (default 10
million) straight into a fresh log, then times both questions through `AuditLog`, as
the CLI and GraphQL ask them. Not part of the test run: it takes minutes.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from server.audit import GENESIS, AuditLog, AuditRow

USERS = 2_000
PEOPLE = 400_000
BATCH = 50_000


def fill(log_path: Path, rows: int) -> None:
    log = AuditLog(log_path)  # creates the schema and the indexes
    log.close()
    import sqlite3

    db = sqlite3.connect(log_path)
    db.execute("PRAGMA synchronous=OFF")
    rng = random.Random(21)
    prev, seq = GENESIS, 0
    while seq < rows:
        batch = []
        for _ in range(min(BATCH, rows - seq)):
            seq += 1
            row = AuditRow(
                time="2026-11-23T10:00:00.000000+00:00", user=f"user{rng.randrange(USERS)}",
                role="social_worker", agency="childrens_social_care", purpose="mash_screening",
                basis="Children Act 1989 s47", operation="FrontDoor", document_hash="0" * 32,
                person_id=f"P{rng.randrange(PEOPLE):07d}", returned=("identity", "household"),
                withheld=(), outcome="ok", correlation_id=f"{seq:032x}",
            )
            text = json.dumps(asdict(row), sort_keys=True)
            digest = hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()
            batch.append((seq, text, prev, digest))
            prev = digest
        db.executemany("INSERT INTO audit(seq, row, prev_hash, hash) VALUES (?,?,?,?)", batch)
        db.commit()
    db.close()


def timed(label: str, call: object) -> None:
    started = time.perf_counter()
    found = call()  # type: ignore[operator]
    elapsed = time.perf_counter() - started
    print(f"  {label}: {len(found)} rows in {elapsed:.3f} s")


def main(rows: int = 10_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.sqlite"
        started = time.perf_counter()
        fill(path, rows)
        print(f"wrote {rows} audit rows in {time.perf_counter() - started:.0f} s")
        log = AuditLog(path)
        timed("who looked at P0001234 (all, oldest first)", lambda: log.rows_about("P0001234"))
        timed("who looked at P0001234 (newest 100)",
              lambda: log.rows_about("P0001234", 100, True))
        timed("what user7 looked at (all, oldest first)", lambda: log.rows_by("user7"))
        timed("what user7 looked at (newest 100)", lambda: log.rows_by("user7", 100, True))
        log.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
