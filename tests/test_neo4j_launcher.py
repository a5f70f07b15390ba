"""The project's own Neo4j launcher: a data folder started again is asked with the password
it was given at its first start (Neo4j takes a password only then)."""

from __future__ import annotations

import stat
from pathlib import Path

from tools.neo4j.launcher import KEPT_FILE, kept_password


def test_a_data_folder_keeps_the_password_of_its_first_start(tmp_path: Path) -> None:
    first = kept_password(tmp_path)
    assert len(first) >= 16
    assert kept_password(tmp_path) == first
    (tmp_path / "other").mkdir()
    assert kept_password(tmp_path / "other") != first
    # Readable by this user alone: it opens the database.
    assert stat.S_IMODE((tmp_path / KEPT_FILE).stat().st_mode) == 0o600
