"""The repository stands alone: nothing in it points at a file a clone would not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Design notes the project was started from live outside the repository; their content is
# in docs/ in our own words, so a reference to them is a reference to nothing.
OUTSIDE = re.compile(r"\.\./shared|/work/|\bDESIGN\.md|\bSECURITY\.md|\bSTYLE\.md")
DOC = re.compile(r"\bdocs/([\w.-]+\.md)")
RULE = re.compile(r"docs/security\.md\s+rules?\s+(\d+)")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    files = []
    for name in listed:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".png", ".svg", ".json", ".xml", ".csv", ".xsd"}:
            files.append(path)
    return files


def test_nothing_refers_to_a_file_outside_the_repository() -> None:
    offenders = []
    for path in tracked_text_files():
        if "reference" in path.relative_to(ROOT).parts:
            continue  # vendored upstream files keep their own words
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if path == Path(__file__).resolve():
            continue
        offenders += [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
                      for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_every_docs_page_the_repository_names_exists() -> None:
    missing = set()
    for path in tracked_text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        missing |= {m.group(1) for m in DOC.finditer(text)
                    if not (ROOT / "docs" / m.group(1)).exists()}
    assert missing == set()


def test_every_security_rule_cited_is_written_down() -> None:
    security = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    written = {int(n) for n in re.findall(r"^(\d+)\. ", security, flags=re.M)}
    cited = set()
    for path in tracked_text_files():
        try:
            cited |= {int(n) for n in RULE.findall(path.read_text(encoding="utf-8"))}
        except UnicodeDecodeError:
            continue
    assert cited, "no code cites a rule: the pattern is wrong"
    assert cited <= written
