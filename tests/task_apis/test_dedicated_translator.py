"""A page's Translator served by an installed translation model, in real Chromium and Firefox with
the real extension and host: ``Translator.create({sourceLanguage: 'en', targetLanguage: 'de'})``
then ``translate()`` and ``translateStreaming()`` give exactly what CTranslate2 makes of the text
(the tiny random model of tests/tasks), and the usage log names the model."""

from __future__ import annotations

import json
import sqlite3

import pytest

from navllm.models.store import ModelStore
from tests.task_apis.conftest import PAGE
from tests.tasks.test_translation_model import SENTENCE, direct
from tests.tasks.tiny_translation import build


@pytest.fixture(scope="module")
def model(browser, tmp_path_factory):
    """The tiny en→de model, installed in the store of the browser's host."""
    folder = build(tmp_path_factory.mktemp("translation") / "opus-mt-en-de")
    assert browser.home is not None
    ModelStore(browser.home / "data" / "models").pull(f"folder:{folder}")
    return folder


def test_a_translator_is_served_by_the_installed_model(browser, model, site):
    page = browser.tab().goto(site.url(PAGE))
    got = page.run(
        """
        const options = {sourceLanguage: "en", targetLanguage: "de"};
        const availability = await Translator.availability(options);
        const progress = [];
        const translator = await Translator.create({...options, monitor(m) {
          m.addEventListener("downloadprogress", (e) => progress.push(e.loaded));
        }});
        const whole = await translator.translate(ARGS[0]);
        let streamed = "", chunks = 0;
        for await (const chunk of translator.translateStreaming(ARGS[0])) { streamed += chunk; chunks++; }
        const used = await translator.measureInputUsage(ARGS[0]);
        const quota = translator.inputQuota;
        translator.destroy();
        return {availability, progress, whole, streamed, chunks, used, quota};
    """,
        SENTENCE,
    )
    expected = direct(model, SENTENCE)
    assert got["availability"] == "available"
    assert got["progress"][-1] == 1
    assert got["whole"] == expected and got["streamed"] == expected and got["chunks"] > 1
    assert 0 < got["used"] <= got["quota"] == 512
    assert browser.home is not None
    with sqlite3.connect(browser.home / "data" / "navllm.db") as db:
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("SELECT * FROM usage WHERE action = 'translate'")]
    assert [(r["provider"], r["model"], r["outcome"]) for r in rows] == [("translation", "opus-mt-en-de", "ok")] * 2, json.dumps(rows)
