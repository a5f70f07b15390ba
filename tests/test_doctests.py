"""The examples in docstrings run: a wrong example is a failing test, not stale prose."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import graph
import loaders
import server
import viz

MODULES = sorted(
    info.name
    for package in (graph, loaders, server, viz)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
