"""Backing up a store folder while famgraph serves, and putting a backup back.

Every SQLite file in the folder (the embedded graph, the audit log and its sealed
segments, users and grants, follows) is copied with SQLite's online backup API, which
gives a consistent copy of each database while others write to it. The graph is copied
first and the audit log last, so the copied log covers every read of the copied graph.
The audit log's public key comes too; its signing key and the token secret only when
asked (`with_keys`): a backup kept where the keys are not is one an intruder cannot use
to forge audit rows or tokens.

A backup is a gzipped tar holding the files and `manifest.json` (each file's SHA-256).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from graph.errors import FamgraphError
from server.audit_segments import SEGMENTS_DIR

MANIFEST = "manifest.json"
FORMAT = 1
# Copied as they are when present; the keys only when asked.
PLAIN_FILES = ("audit.pub", "load-status.json")
KEY_FILES = ("audit.key", "secret.key")
# The graph before everything that records what was done with it.
_FIRST = ("graph.sqlite", "users.sqlite", "following.sqlite")
_LAST = "audit.sqlite"


class BackupError(FamgraphError):
    """Raised when a backup cannot be taken or put back; says which file and why."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    files: tuple[str, ...]
    with_keys: bool


def _databases(store: Path, segments: bool) -> list[Path]:
    """The store's databases (graph first, the audit log last), or its sealed audit segments.

    Segments are listed only after the audit log is copied: a rotation running meanwhile
    seals rows into a segment before it deletes them from the log, so every row is in the
    copied log, in a segment listed afterwards, or in both (which verify takes as a rotation
    stopped part way).
    """
    found = sorted(p for p in store.rglob("*.sqlite") if p.is_file()
                   and (p.parent.name == SEGMENTS_DIR) == segments)

    def order(path: Path) -> tuple[int, str]:
        name = path.relative_to(store).as_posix()
        if name in _FIRST:
            return (0, f"{_FIRST.index(name)}")
        return (2, name) if path.name == _LAST else (1, name)  # every audit chain's log last

    return sorted(found, key=order)


def take_backup(store: Path, out: Path, with_keys: bool = False) -> BackupSummary:
    """Copy the store folder into the backup file `out`, consistently, while it is in use.

    Raises
    ------
    BackupError : the folder holds no store, or a database could not be copied
    """
    if not store.is_dir() or not any(store.iterdir()):
        raise BackupError(f"{store} holds no famgraph store to back up")
    manifest: dict[str, object] = {"famgraph_backup": FORMAT, "created": time.time(),
                                   "with_keys": with_keys, "files": {}}
    files: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="famgraph-backup-", dir=out.parent) as scratch:
        staged = Path(scratch)
        # The second list is made only when the first is copied (see _databases).
        for database in (d for segments in (False, True) for d in _databases(store, segments)):
            name = database.relative_to(store).as_posix()
            copy = staged / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            try:
                source = sqlite3.connect(database, timeout=10)
                target = sqlite3.connect(copy)
                with target:
                    source.backup(target)  # consistent even while another process writes
                target.execute("PRAGMA journal_mode=DELETE")  # one file, no WAL beside it
                target.close()
                source.close()
            except sqlite3.Error as exc:
                raise BackupError(f"cannot copy {database}: {exc}") from exc
        for name in (*PLAIN_FILES, *(KEY_FILES if with_keys else ())):
            # The folder's own, and each audit chain's beside its log (audit-chains/NAME/).
            for path in sorted(p for p in store.rglob(name) if p.is_file()):
                copy = staged / path.relative_to(store)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
        for path in sorted(p for p in staged.rglob("*") if p.is_file()):
            files[path.relative_to(staged).as_posix()] = {
                "sha256": _digest(path), "bytes": path.stat().st_size}
        manifest["files"] = files
        partial = out.with_name(f".{out.name}.partial")
        # Readable by this user alone from its first byte: a backup holds what the store holds.
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") \
                as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            text = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(text))
            for name in files:
                archive.add(staged / name, arcname=name)
        os.chmod(partial, 0o600)  # in case a partial file of an earlier run was left looser
        os.replace(partial, out)
    return BackupSummary(out, tuple(files), with_keys)


def restore_backup(backup: Path, store: Path, force: bool = False) -> Path | None:
    """Put the backup back as the store folder; return where the folder it replaced went
    (with `force`), or None.

    Raises
    ------
    BackupError : the folder is not empty and `force` is not given, or the backup is not
        one famgraph wrote, or a file in it does not match its manifest
    """
    if store.exists() and any(store.iterdir()) and not force:
        raise BackupError(f"{store} is not empty: restore into an empty folder, or give"
                          " --force to move the folder aside and restore in its place")
    store.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{store.name}.restoring-", dir=store.parent))
    try:
        _unpack(backup, staged)
        replaced = None
        if store.exists():
            if any(store.iterdir()):
                stamp = time.strftime("%Y%m%dT%H%M%S")
                replaced = store.with_name(f"{store.name}.replaced-{stamp}")
                os.replace(store, replaced)
            else:
                store.rmdir()
        os.replace(staged, store)
        return replaced
    finally:
        if staged.exists():
            shutil.rmtree(staged)


def _unpack(backup: Path, into: Path) -> None:
    try:
        with tarfile.open(backup, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise BackupError(f"{backup} has no {MANIFEST}: not a famgraph backup")
            manifest = json.loads(member.read())
            if manifest.get("famgraph_backup") != FORMAT:
                raise BackupError(f"{backup} is not a famgraph backup this version reads")
            files: dict[str, dict[str, object]] = manifest["files"]
            names = set(files)
            # Only the files the manifest names, and nothing outside the folder.
            archive.extractall(into, members=[m for m in archive.getmembers()
                                              if m.name in names], filter="data")
    except (OSError, EOFError, zlib.error, tarfile.TarError, ValueError, KeyError) as exc:
        raise BackupError(f"cannot read backup {backup}: {type(exc).__name__}: {exc}") from exc
    for name, facts in files.items():
        path = into / name
        if not path.is_file() or _digest(path) != facts["sha256"]:
            raise BackupError(f"backup {backup}: {name} does not match its manifest")


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
