"""Read docs/protocol.md: its message sections and their JSON examples."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEADING = re.compile(r"^### `([^`]+)`\s*$", re.M)
PART = re.compile(r"^## (.+)$", re.M)
EXAMPLE = re.compile(r"```json\n(.*?)\n```", re.S)


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def sections() -> dict[str, dict[str, str]]:
    """{part title: {message type: section text}} for every ``### `type` `` heading."""
    doc = text()
    parts: dict[str, dict[str, str]] = {}
    starts = [(m.start(), m.group(1)) for m in PART.finditer(doc)] + [(len(doc), "")]
    for (begin, title), (end, _) in itertools.pairwise(starts):
        body = doc[begin:end]
        heads = [*HEADING.finditer(body), None]
        parts[title] = {
            head.group(1): body[head.end() : (nxt.start() if nxt else len(body))] for head, nxt in itertools.pairwise(heads) if head
        }
    return parts


def examples(section: str) -> list[dict]:
    return [json.loads(block) for block in EXAMPLE.findall(section)]


def request_examples() -> dict[str, dict]:
    """The first example of every documented request, by type."""
    found = {}
    for title in ("Page requests", "Admin requests"):
        for kind, section in sections().get(title, {}).items():
            blocks = examples(section)
            if blocks:
                found[kind] = blocks[0]
    return found
