"""Which format reads which path: detection, or the format a user names."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from loaders.errors import LoadError

# Order matters: a folder with a mapping is mapped CSV even though it holds CSV files.
FORMAT_MODULES = (
    "loaders.mapping",
    "loaders.formats.canonical_csv",
    "loaders.formats.fhir",
    "loaders.formats.ssda903",
    "loaders.formats.cin_census",
)


def formats() -> dict[str, ModuleType]:
    modules = [importlib.import_module(name) for name in FORMAT_MODULES]
    return {module.NAME: module for module in modules}


def plan(paths: list[Path], format_name: str | None = None) -> Iterator[tuple[ModuleType, Path]]:
    """(format, path) for everything to read, each file once, in a stable order.

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
        for module, found in _claimed(path, known, format_name):
            key = found.resolve()
            if key not in seen:
                seen.add(key)
                yield module, found


def _claimed(path: Path, known: dict[str, ModuleType], format_name: str | None
             ) -> Iterator[tuple[ModuleType, Path]]:
    candidates = [known[format_name]] if format_name else list(known.values())
    for module in candidates:
        if path.is_dir() and module.claims(path):
            yield module, path
            return
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if not child.name.startswith("."):
                yield from _claimed(child, known, format_name)
        return
    for module in candidates:
        if module.claims(path):
            yield module, path
            return
    raise LoadError(str(path), "no loader recognises this file"
                    + (f" as {format_name}" if format_name else ""))
