"""Proofreader corrections, computed by diffing the input against the model's corrected text.

The model is only asked for the corrected text; where it differs from the input is found here,
word by word, so the indices are exact whatever the model says. Indices count UTF-16 code
units, as JavaScript strings do; applying the corrections to the input gives the corrected text.
"""

from __future__ import annotations

import difflib
import itertools
import re
from typing import Any

# A word or a punctuation mark with the spaces after it, so that an inserted word lands beside one.
_TOKEN = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")
_PREPOSITIONS = frozenset(
    """about above across after against along among around at before behind below beneath beside between by down during
    for from in inside into near of off on onto out over since through to toward towards under until up upon with within
    without""".split()  # noqa: SIM905 - a word list reads better as a paragraph
)


SAME_ENOUGH = 0.5  # a proofread text shares at least this much with its input, or the model rewrote it


def accept(original: str, corrected: str | None) -> str:
    """The corrected text to answer with: the model's, with the input's leading and trailing
    whitespace (models drop or add it, and no one asked), or the input itself when the model
    gave nothing usable or rewrote the text instead of correcting it."""
    core = (corrected or "").strip()
    if not core or difflib.SequenceMatcher(None, original.split(), core.split(), autojunk=False).ratio() < SAME_ENOUGH:
        return original
    lead = original[: len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()) :]
    return lead + core + trail


def corrections(original: str, corrected: str, *, types: bool, explanations: bool) -> list[dict[str, Any]]:
    """The spans of ``original`` to replace to get ``corrected``, with their replacements."""
    a = _TOKEN.findall(original)
    b = _TOKEN.findall(corrected)
    starts_a = [0, *itertools.accumulate(len(t) for t in a)]
    starts_b = [0, *itertools.accumulate(len(t) for t in b)]
    units = _utf16_offsets(original)
    found = []
    for i1, i2, j1, j2 in _edits(a, b):
        start, end = starts_a[i1], starts_a[i2]
        right = corrected[starts_b[j1] : starts_b[j2]]
        while end > start and right and original[end - 1] == right[-1] and right[-1].isspace():
            end, right = end - 1, right[:-1]  # the spaces both keep are not part of the correction
        wrong = original[start:end]
        item: dict[str, Any] = {"startIndex": units[start], "endIndex": units[end], "correction": right}
        kind = classify(wrong, right)
        if types:
            item["type"] = kind
        if explanations:
            item["explanation"] = _explain(kind, wrong, right)
        found.append(item)
    return found


def _edits(a: list[str], b: list[str]) -> list[tuple[int, int, int, int]]:
    """Token ranges that differ, word for word where a run of words was replaced by as many,
    and a pure insertion widened to the word after it (or before), so no span is empty."""
    edits = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            start = (i1, j1)
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                if a[i].strip() != b[j].strip() or i == i2 - 1:  # a change of spacing alone goes with the word after it
                    edits.append((start[0], i + 1, start[1], j + 1))
                    start = (i + 1, j + 1)
        elif i1 == i2 and i2 < len(a):
            edits.append((i1, i2 + 1, j1, j2 + 1))
        elif i1 == i2 and i1 > 0:
            edits.append((i1 - 1, i2, j1 - 1, j2))
        else:
            edits.append((i1, i2, j1, j2))
    return edits


def _utf16_offsets(text: str) -> list[int]:
    """UTF-16 offset of every code point index of ``text`` (and of its end)."""
    return [0, *itertools.accumulate(2 if ord(c) > 0xFFFF else 1 for c in text)]


def classify(wrong: str, right: str) -> str:
    """A correction's type, by what changed: case, punctuation, one word, a missing word, a preposition."""
    if wrong.lower() == right.lower():
        return "capitalization"
    if _letters(wrong) == _letters(right):
        return "punctuation"
    before, after = wrong.split(), right.split()
    if len(before) <= 1 and len(after) == 1 and _letters(wrong):
        changed = {w.lower() for w in (*before, *after)}
        return "preposition" if changed <= _PREPOSITIONS else "spelling"
    if len(after) > len(before) and _is_subsequence([w.lower() for w in before], [w.lower() for w in after]):
        return "missing-words"
    return "grammar"


def _letters(text: str) -> str:
    return re.sub(r"[\W_]", "", text)


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    remaining = iter(long)
    return all(word in remaining for word in short)


def _explain(kind: str, wrong: str, right: str) -> str:
    what = {
        "capitalization": "Capitalization",
        "punctuation": "Punctuation",
        "spelling": "Spelling",
        "preposition": "Preposition",
        "missing-words": "Missing word",
        "grammar": "Grammar",
    }[kind]
    return f"{what}: “{wrong.strip()}” → “{right.strip()}”."
