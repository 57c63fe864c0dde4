"""Language detection on a labelled set written for the project, and the shape of its results."""

from __future__ import annotations

import math
import re
import time

import pytest

from navllm.tasks import detect
from tests.tasks.labelled import SENTENCES

TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")


def test_accuracy_on_the_labelled_set():
    assert detect.loads()
    items = [(lang, s) for lang, sentences in SENTENCES.items() for s in sentences]
    assert len(SENTENCES) >= 10 and all(len(s) >= 3 for s in SENTENCES.values())
    started = time.perf_counter()
    wrong = [(lang, s, detect.detect(s)[0]["detectedLanguage"]) for lang, s in items if detect.detect(s)[0]["detectedLanguage"] != lang]
    elapsed = (time.perf_counter() - started) / (2 * len(items))
    accuracy = 1 - len(wrong) / len(items)
    print(
        f"\nlanguage detection: {accuracy:.3f} ({len(items) - len(wrong)}/{len(items)}), {elapsed * 1000:.2f} ms a sentence; wrong: {wrong}"
    )
    assert accuracy >= 0.9


@pytest.mark.parametrize(
    "text",
    [s for sentences in SENTENCES.values() for s in sentences[:1]]
    + ["ok", "1234", "Hello world! " * 10000, "日本語 and English mixed, 中文也有"],
)
def test_results_are_ranked_and_end_with_und(text):
    results = detect.detect(text)
    *languages, und = results
    assert und["detectedLanguage"] == "und" and und["confidence"] > 0
    confidences = [r["confidence"] for r in languages]
    assert confidences == sorted(confidences, reverse=True)
    assert all(c > und["confidence"] for c in confidences)
    assert all(TAG.match(r["detectedLanguage"]) for r in languages)
    assert sum(confidences) + und["confidence"] <= 1
    if languages:
        assert sum(confidences[:-1]) < 0.99


def test_ranking_edges():
    # A certain model still leaves "und" a little; what "und" outweighs joins it.
    certain = detect.ranking([("en", 1.0)])
    assert certain[0]["detectedLanguage"] == "en" and 0 < certain[-1]["confidence"] < certain[0]["confidence"]
    assert math.fsum(r["confidence"] for r in certain) <= 1
    # What the scores leave of 1 is "und"'s, and so is the noise (under 1%) left out.
    spread = detect.ranking([("en", 0.5), ("fr", 0.3), ("de", 0.009), ("it", 0.0004)])
    assert [r["detectedLanguage"] for r in spread] == ["en", "fr", "und"]
    assert spread[-1]["confidence"] == pytest.approx(0.2)
    assert detect.ranking([]) == [{"detectedLanguage": "und", "confidence": 1.0}]


def test_a_flat_spread_still_names_the_likeliest_language():
    # The specification's "und" is the confidence that the text is in none of the model's
    # languages, not the sum of those left out: a short greeting, spread thinly over a hundred
    # languages, is English first (it used to be "und" with confidence 1, as Google's Translator
    # and Language Detector playground showed for its own default text).
    flat = detect.ranking([("en", 0.12), ("ca", 0.09), ("de", 0.08)] + [(f"x{i}", 0.71 / 100) for i in range(100)])
    assert flat[0] == {"detectedLanguage": "en", "confidence": pytest.approx(0.12, abs=1e-3)}
    assert flat[-1]["detectedLanguage"] == "und" and 0 < flat[-1]["confidence"] < flat[-2]["confidence"]
    assert math.fsum(r["confidence"] for r in flat) <= 1
    for greeting in ("Hello, world!", "Hello world", "ok"):
        assert detect.detect(greeting)[0]["detectedLanguage"] == "en", greeting


@pytest.mark.parametrize("text", ["this string is in English", "Ceci est une phrase en français.", "日本語 and English mixed, 中文也有"])
def test_a_clear_answer_sums_to_exactly_one_as_a_page_adds_it(text):
    # Added in order in double precision, as JavaScript does: "und" holds what was left out.
    results = detect.detect(text)
    added = 0.0
    for r in results:
        added += r["confidence"]
    assert added == 1.0, results
    assert all(r["confidence"] >= 0.01 for r in results[:-1])


def test_blank_text_is_undetermined():
    assert detect.detect(" \n\t") == [{"detectedLanguage": "und", "confidence": 1.0}]


def test_wikipedia_codes_are_spelled_the_bcp47_way(monkeypatch):
    class Model:
        def detect(self, text, **kwargs):
            return [{"lang": "sh", "score": 0.59}, {"lang": "als", "score": 0.39}, {"lang": "en", "score": 0.02}]

    monkeypatch.setattr(detect, "_detector", Model)
    assert [r["detectedLanguage"] for r in detect.detect("Dobar dan")] == ["sr-Latn", "gsw", "en", "und"]
