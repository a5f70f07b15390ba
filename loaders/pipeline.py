"""One load: parse, validate, quarantine, resolve identities, write one atomic batch."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from graph.store import LoadLog, Store
from loaders.assemble import assemble
from loaders.errors import LoadError
from loaders.formats.canonical_csv import read_canonical
from loaders.identity import Resolver
from loaders.identity.rules import RuleResolver
from loaders.quarantine import Quarantine


def load_extract(
    store: Store,
    paths: list[Path],
    *,
    resolver: Resolver | None = None,
    today: date | None = None,
) -> LoadLog:
    """Load canonical CSV files or folders into the store, all or nothing.

    Returns the load's counts, which balance: read = loaded + quarantined.

    Raises
    ------
    LoadError : a file cannot be read; nothing is written
    StoreError : the store refused the batch; nothing is written
    """
    day = today or date.today()
    quarantine = Quarantine()
    extract = read_canonical(paths, quarantine, day)
    resolution = (resolver or RuleResolver()).resolve(extract.people, store)
    batch, loaded = assemble(extract, resolution, store, quarantine)
    log = LoadLog(
        source=", ".join(extract.files),
        read=extract.read,
        loaded=loaded,
        quarantined=quarantine.rejected_rows(),
        rejections=tuple(quarantine.rejected),
        warnings=tuple(quarantine.warnings),
        detail={
            "files": len(extract.files),
            "people": len(set(resolution.person_of.values())),
            "records": len(resolution.person_of),
        },
    )
    if not log.balanced:
        # A bug, not bad input: refuse to write rather than lose rows silently.
        raise LoadError(
            log.source,
            f"counts do not balance: read {log.read}, loaded "
            f"{log.loaded}, quarantined {log.quarantined}",
        )
    batch.log = log
    store.write(batch)
    return log
