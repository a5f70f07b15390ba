"""Settings: read once from the environment, each documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Mode, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_environment_overrides_defaults() -> None:
    settings = Settings.from_env({"FAMGRAPH_PORT": "9001", "FAMGRAPH_MODE": "production",
                                  "FAMGRAPH_STORE_DIR": "/srv/famgraph"})
    assert (settings.port, settings.mode, settings.store_dir) == (9001, Mode.PRODUCTION,
                                                                 Path("/srv/famgraph"))


def test_explicit_overrides_win_over_environment() -> None:
    assert Settings.from_env({"FAMGRAPH_PORT": "9001"}, port=9002).port == 9002


def test_bad_value_is_an_error_naming_nothing_secret() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"FAMGRAPH_MODE": "chaos"})


def test_every_setting_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for variable, _default, help_text in Settings.documentation():
        assert help_text.strip(), variable
        assert variable in readme, f"{variable} is not documented in README.md"
