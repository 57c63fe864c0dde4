"""Proofreader corrections: exact spans in UTF-16 code units, types by what changed, and the
corrections always rebuild the corrected text."""

from __future__ import annotations

import pytest

from navllm.tasks.proofread import accept, classify, corrections


def utf16(text: str) -> list[str]:
    """``text`` as JavaScript indexes it: one item per UTF-16 code unit."""
    data = text.encode("utf-16-le")
    return [data[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(data), 2)]


def apply(original: str, found: list[dict]) -> str:
    """Apply corrections as a page would, by UTF-16 indices, last first."""
    units = utf16(original)
    for c in sorted(found, key=lambda c: c["startIndex"], reverse=True):
        assert 0 <= c["startIndex"] <= c["endIndex"] <= len(units)
        units[c["startIndex"] : c["endIndex"]] = utf16(c["correction"])
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le")


CASES = [
    ("i has a apple", "I have an apple."),
    ("Teh cat sat on teh mat", "The cat sat on the mat"),
    ("I going home", "I am going home"),
    ("He arrived in Monday", "He arrived on Monday"),
    ("hello world", "hello world"),
    ("a  b", "a b"),
    ("", "abc"),
    ("abc", ""),
    ("😀 teh 🐈 sat", "😀 the 🐈 sat."),
    ("𝒜𝒷𝒸 is misspeled, 你好 wrold", "𝒜𝒷𝒸 is misspelled, 你好 world"),
]


@pytest.mark.parametrize(("original", "corrected"), CASES)
def test_corrections_rebuild_the_corrected_text(original, corrected):
    found = corrections(original, corrected, types=True, explanations=True)
    assert apply(original, found) == corrected
    assert (found == []) == (original == corrected)
    for c in found:
        assert c["type"] in {"spelling", "punctuation", "capitalization", "preposition", "missing-words", "grammar"}
        assert c["explanation"]


def test_indices_count_utf16_code_units_past_astral_characters():
    original = "😀 teh 🐈 sat on teh mat"
    found = corrections(original, "😀 the 🐈 sat on the mat", types=False, explanations=False)
    assert found == [
        {"startIndex": 3, "endIndex": 6, "correction": "the"},  # the emoji is two code units
        {"startIndex": 17, "endIndex": 20, "correction": "the"},
    ]
    assert "".join(utf16(original)[3:6]) == "teh" and "".join(utf16(original)[17:20]) == "teh"


def test_a_change_of_spacing_goes_with_the_word_after_it():
    found = corrections("it sat on the mat and it was happy", "it sat on the mat; it was happy", types=True, explanations=False)
    assert found == [{"startIndex": 14, "endIndex": 21, "correction": "mat;", "type": "grammar"}]


def test_types_and_explanations_only_when_asked():
    found = corrections("teh cat", "the cat", types=False, explanations=False)
    assert found == [{"startIndex": 0, "endIndex": 3, "correction": "the"}]


@pytest.mark.parametrize(
    ("wrong", "right", "kind"),
    [
        ("paris", "Paris", "capitalization"),
        ("hello", "hello,", "punctuation"),
        ("its", "it's", "punctuation"),
        ("recieve", "receive", "spelling"),
        ("in", "on", "preposition"),
        ("going", "am going", "missing-words"),
        ("he go", "he goes to", "grammar"),
    ],
)
def test_classifier(wrong, right, kind):
    assert classify(wrong, right) == kind


def test_what_the_model_said_is_taken_only_when_it_corrected():
    assert accept("  teh cat sat\n", "The cat sat") == "  The cat sat\n"  # the input's edges are kept
    assert accept("teh", "   ") == "teh"  # an empty reply corrects nothing
    assert accept("teh cat", None) == "teh cat"  # nor one cut short
    rewritten = "A feline rested upon the rug, content and calm."
    assert accept("Teh cat sat on teh mat.", rewritten) == "Teh cat sat on teh mat."
