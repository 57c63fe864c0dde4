"""Test modules are imported by basename (pytest's default import mode, no packages under tests/):
two files of one name in different folders stop the whole run at collection, so names stay unique."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_module_basenames_are_unique():
    places: defaultdict[str, list[str]] = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name != "conftest.py" and "support" not in path.relative_to(TESTS).parts and "__pycache__" not in path.parts:
            places[path.name].append(str(path.relative_to(TESTS)))
    clashes = {name: where for name, where in places.items() if len(where) > 1}
    assert not clashes, f"module names used twice under tests/: {clashes}"
