"""Which format reads which path: detection, or the format a user names."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from loaders.errors import LoadError
from loaders.formats.text import RESAVE, encoding_of
from loaders.mapping import MAPPING_FILE

# Order matters: a folder with a mapping is mapped CSV even though it holds CSV files.
FORMAT_MODULES = (
    "loaders.mapping",
    "loaders.formats.canonical_csv",
    "loaders.formats.fhir",
    "loaders.formats.ssda903",
    "loaders.formats.cin_census",
)


# What the synthetic generator writes beside its extracts: found while walking a folder,
# these are passed over (and said so); named on their own, they are refused like any file.
NOT_EXTRACTS = {
    "truth": "the generator's ground truth, which loaders never read",
    "demo.json": "the generator's note of its demonstration child, not an extract",
}
Skipped = Callable[[Path, str], None]


def formats() -> dict[str, ModuleType]:
    modules = [importlib.import_module(name) for name in FORMAT_MODULES]
    return {module.NAME: module for module in modules}


def plan(paths: list[Path], format_name: str | None = None, skipped: Skipped | None = None
         ) -> Iterator[tuple[ModuleType, Path]]:
    """(format, path) for everything to read, each file once, in a stable order; `skipped`
    hears of each thing in a folder passed over, and why.

    Raises
    ------
    LoadError : a path does not exist, a format is unknown, or no format claims a file
    """
    known = formats()
    if format_name is not None and format_name not in known:
        raise LoadError(format_name, f"is not a format; choose from {', '.join(sorted(known))}")
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            raise LoadError(str(path), "no such file or folder")
        for module, found in _claimed(path, known, format_name, skipped):
            key = found.resolve()
            if key not in seen:
                seen.add(key)
                yield module, found


def _claimed(path: Path, known: dict[str, ModuleType], format_name: str | None,
             skipped: Skipped | None = None) -> Iterator[tuple[ModuleType, Path]]:
    candidates = [known[format_name]] if format_name else list(known.values())
    for module in candidates:
        if path.is_dir() and module.claims(path):
            yield module, path
            return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.name in NOT_EXTRACTS:
                if skipped is not None:
                    skipped(child, NOT_EXTRACTS[child.name])
            elif not child.name.startswith("."):
                yield from _claimed(child, known, format_name, skipped)
        return
    for module in candidates:
        if module.claims(path):
            yield module, path
            return
    raise LoadError(str(path), "no loader recognises this file"
                    + (f" as {format_name}" if format_name else "") + _what_it_is(path))


def _what_it_is(path: Path) -> str:
    """What the file looks like, so the refusal says what to do about it."""
    try:
        with path.open("rb") as f:
            start = f.read(4)
    except OSError:
        return ""
    label = encoding_of(start)
    if label is not None and label != "UTF-8":
        return (f" (it is {label} text: if it is a CSV, {RESAVE}, or put a {MAPPING_FILE} "
                "beside it; see docs/mapping.md)")
    if path.suffix.lower() in (".csv", ".txt"):
        return (f" (a CSV whose header is no canonical kind: put a {MAPPING_FILE} beside it;"
                " see docs/mapping.md and docs/canonical-columns.md)")
    return ""
