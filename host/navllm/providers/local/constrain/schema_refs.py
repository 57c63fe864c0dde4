"""``$ref`` checks for response-constraint schemas: local references only, and no cycles.

A recursive schema (a tree whose nodes refer back to the node type) is a valid grammar, but the
Prompt API reports it as NotSupportedError, as Chrome does; a reference outside the document
can't be fetched by the host, so it is refused too, naming the reference.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from ....protocol.errors import ErrorName, NavError

# Keywords whose values are data, not subschemas; definitions are entered only through a $ref.
_NOT_SCHEMAS = frozenset({"const", "enum", "default", "examples", "$defs", "definitions"})


def check_refs(schema: dict[str, Any], what: str) -> None:
    anchors = _anchors(schema)
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(target: str, node: Any) -> None:
        if target in done:
            return
        if target in visiting:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{what} has a circular $ref ({target!r}), which is not supported")
        visiting.add(target)
        for ref in _refs(node):
            visit(ref, _resolve(schema, anchors, ref, what))
        visiting.discard(target)
        done.add(target)

    visit("#", schema)


def _refs(node: Any) -> list[str]:
    """Every ``$ref`` in ``node`` reached without following a reference or entering definitions."""
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.append(item["$ref"])
            stack.extend(v for k, v in item.items() if k not in _NOT_SCHEMAS and k != "$ref")
    return found


def _anchors(schema: dict[str, Any]) -> dict[str, Any]:
    anchors: dict[str, Any] = {}
    stack: list[Any] = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if isinstance(item.get("$anchor"), str):
                anchors[item["$anchor"]] = item
            stack.extend(v for k, v in item.items() if k not in ("const", "enum", "default", "examples"))
    return anchors


def _resolve(root: dict[str, Any], anchors: dict[str, Any], ref: str, what: str) -> Any:
    if not ref.startswith("#"):
        raise NavError(ErrorName.NOT_SUPPORTED, f"{what} refers outside itself ($ref {ref!r}), which is not supported")
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        if fragment not in anchors:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{what} has a $ref to a missing anchor: {ref!r}")
        return anchors[fragment]
    node: Any = root
    for token in fragment.split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{what} has a $ref to nothing: {ref!r}")
    return node
