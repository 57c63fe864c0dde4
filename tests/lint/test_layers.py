"""The host's rooms import only downward, in the order docs/architecture.md gives.

Every ``import`` in ``host/navllm`` counts, the ones inside functions and under
``TYPE_CHECKING`` too: a lazy import is still a dependency. A room may import itself and any
room in a lower layer; rooms in one layer stand beside each other and do not import each other.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "host" / "navllm"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def layers() -> list[set[str]]:
    """The layer table from docs/architecture.md, top first: one ``| n | `room` · `room` | ... |`` row each."""
    rows = re.findall(r"^\|\s*(\d+)\s*\|([^|]+)\|", ARCHITECTURE.read_text(), re.MULTILINE)
    assert rows, "docs/architecture.md has no layer table"
    assert [int(n) for n, _ in rows] == list(range(1, len(rows) + 1)), "layers are numbered 1, 2, 3, ..."
    return [set(re.findall(r"`([\w.]+)`", rooms)) for _, rooms in rows]


def room_of(module: str) -> str:
    """``navllm.dispatch.admin.keys`` -> ``dispatch``; the package's own ``__init__`` is ``navllm``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "navllm"


def module_name(path: Path) -> tuple[str, str]:
    """The dotted name of a source file and the package its relative imports start from."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        name = ".".join(parts[:-1])
        return name, name
    return ".".join(parts), ".".join(parts[:-1])


def is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE / relative).is_dir() or (PACKAGE / relative).with_suffix(".py").is_file()


def imports(source: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported navllm module) for every import in ``source``, the text of ``path``."""
    _, package = module_name(path)
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # `from . import x` imports the module x when there is one, else a name of the package.
            names = [f"{target}.{a.name}" for a in node.names if is_module(f"{target}.{a.name}")]
            found += [(node.lineno, name) for name in names or [target]]
    return [(line, name) for line, name in found if name == "navllm" or name.startswith("navllm.")]


def upward_imports() -> list[str]:
    table = layers()
    rank = {room: n for n, rooms in enumerate(table) for room in rooms}
    rooms_on_disk = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    rooms_on_disk = {"navllm" if r == "__init__" else r for r in rooms_on_disk}
    unplaced = sorted(rooms_on_disk - set(rank))
    assert not unplaced, f"rooms missing from the layer table in docs/architecture.md: {unplaced}"
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = room_of(module_name(path)[0])
        for line, target in imports(path.read_text(), path):
            to = room_of(target)
            if to != source and rank[to] <= rank[source]:
                wrong.append(
                    f"{path.relative_to(ROOT)}:{line}: {source} (layer {rank[source] + 1}) imports {target} (layer {rank[to] + 1})"
                )
    return wrong


def test_no_room_imports_upward_or_sideways():
    wrong = upward_imports()
    assert not wrong, "imports against docs/architecture.md's layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("source", "file", "expected"),
    [
        ("from ..dispatch.page import PageHandlers", "policy/gate.py", "navllm.dispatch.page"),
        ("from .. import settings", "policy/gate.py", "navllm.settings"),
        ("from .. import PROTOCOL_VERSION", "dispatch/page.py", "navllm"),
        ("import navllm.app", "host.py", "navllm.app"),
        ("from . import keys", "dispatch/admin/__init__.py", "navllm.dispatch.admin.keys"),
        ("def f():\n    from ...policy import gate", "dispatch/admin/grants.py", "navllm.policy.gate"),
    ],
)
def test_the_check_resolves_every_import_form(source, file, expected):
    """The checker itself: relative, absolute, package-level and lazy imports all resolve."""
    assert [name for _, name in imports(source, PACKAGE / file)] == [expected]
