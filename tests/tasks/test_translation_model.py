"""A dedicated translation model (CTranslate2) end to end: the store installs it from a folder and
from a Hub repository with its language pair; the host serves Translators of that pair with it
(streaming, quota, abort, deadline, usage) and every other pair through the chat providers, and
carries on when the model's folder is damaged. The model is a tiny random one built here, so the
host's output must be exactly what CTranslate2 makes of the same input."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from navllm.models.store import ModelStore
from navllm.protocol.common import text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers import translation
from navllm.providers.base import Generation, Usage
from tests.models.servers import FileServer, HubRepo, hub
from tests.tasks.conftest import TaskHost, write_settings
from tests.tasks.tiny_translation import build

find_spec = importlib.util.find_spec
EN_DE = {"kind": "translator", "sourceLanguage": "en", "targetLanguage": "de"}
SENTENCE = "Good morning, the cat sleeps on the mat."


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """The model folder, named as Opus-MT names its models: the name says the pair."""
    return build(tmp_path_factory.mktemp("translation") / "opus-mt-en-de")


def direct(folder: Path, line: str) -> str:
    """What CTranslate2 itself makes of one line, greedy, with the host's length limit."""
    import ctranslate2
    import sentencepiece

    source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    target = sentencepiece.SentencePieceProcessor(model_file=str(folder / "target.spm"))
    tokens = source.encode(line, out_type=str)
    result = ctranslate2.Translator(str(folder)).translate_batch(
        [tokens], beam_size=1, max_decoding_length=translation.max_output(len(tokens))
    )
    return str(target.decode(result[0].hypotheses[0]))


def tokens(folder: Path, line: str) -> int:
    import sentencepiece

    return len(sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm")).encode(line)) + 1


@pytest.fixture
async def host(navllm_home, tiny_model) -> AsyncIterator[TaskHost]:
    """The host with the model installed and the echo backend as its only chat provider; the page granted both."""
    write_settings(navllm_home, echoEnabled=True, providers=[])
    ModelStore().pull(f"folder:{tiny_model}")
    host = TaskHost()
    await host.grant(providers=("echo", "local"))
    yield host
    await host.close()


# -- the store ----------------------------------------------------------------------------------


def test_the_store_installs_lists_verifies_and_removes_it(tmp_path, tiny_model):
    store = ModelStore(tmp_path / "models")
    model = store.pull(f"folder:{tiny_model}")
    assert (model.name, model.kind, model.languages) == ("opus-mt-en-de", "translation", ("en", "de"))
    assert model.wire()["languages"] == {"source": "en", "target": "de"}
    assert [(m.name, m.languages) for m in ModelStore(tmp_path / "models").list()] == [("opus-mt-en-de", ("en", "de"))]
    assert store.verify("opus-mt-en-de").files.keys() >= {"model.bin", "source.spm", "target.spm", "navllm-model.json"}
    (model.path / "target.spm").write_bytes(b"changed")
    with pytest.raises(NavError) as damaged:
        store.verify("opus-mt-en-de")
    assert damaged.value.details["files"] == ["target.spm"]
    store.remove("opus-mt-en-de")
    assert store.list() == [] and not model.path.exists()
    assert (tiny_model / "model.bin").is_file()  # the user's folder is untouched


def test_models_list_shows_its_pair(navllm_home, tiny_model, capsys):
    from navllm.cli import main

    assert main(["models", "pull", f"folder:{tiny_model}"]) == 0
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:3] == ["opus-mt-en-de", "translation", "en-de"]


def test_a_model_named_otherwise_takes_its_pair_from_its_manifest(tmp_path, tiny_model):
    store = ModelStore(tmp_path / "models")
    plain = shutil.copytree(tiny_model, tmp_path / "my-model")
    with pytest.raises(NavError) as unnamed:
        store.pull(f"folder:{plain}")
    assert unnamed.value.name == "DataError" and "my-model" in unnamed.value.message and "languages" in unnamed.value.message
    (plain / "navllm-model.json").write_text('{"format": 1, "kind": "translation", "languages": {"source": "fr", "target": "en"}}')
    assert store.pull(f"folder:{plain}", name="mine").languages == ("fr", "en")


def test_a_folder_that_is_no_translation_model_is_refused_by_name(tmp_path, tiny_model):
    broken = shutil.copytree(tiny_model, tmp_path / "opus-mt-en-fr")
    (broken / "source.spm").unlink()
    with pytest.raises(NavError) as refused:
        ModelStore(tmp_path / "models").pull(f"folder:{broken}")
    assert refused.value.name == "DataError" and str(broken) in refused.value.message and "source.spm" in refused.value.message
    assert ModelStore(tmp_path / "models").list() == []


def test_without_the_runtime_an_install_says_what_to_install(tmp_path, tiny_model, monkeypatch):
    import navllm.models.translation

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name == "ctranslate2" else find_spec(name, *args))
    assert navllm.models.translation.runtime_missing() is not None
    with pytest.raises(NavError) as refused:
        ModelStore(tmp_path / "models").pull(f"folder:{tiny_model}")
    assert refused.value.name == "NotSupportedError" and "pip install 'navllm[translation]'" in refused.value.message


def test_a_hub_repository_in_ctranslate2_layout_is_pulled(tmp_path, tiny_model, monkeypatch):
    files: dict[str, Path | bytes] = {p.name: p for p in tiny_model.iterdir()}
    with FileServer() as server:
        hub(server, [HubRepo("someone/opus-mt-en-de-ct2", {**files, "README.md": b"# a model\n"})])
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        model = ModelStore(tmp_path / "models").pull("hf:someone/opus-mt-en-de-ct2")
    assert (model.name, model.kind, model.languages) == ("opus-mt-en-de-ct2", "translation", ("en", "de"))
    assert sorted(model.files) == sorted([*files, "navllm-model.json"])  # README.md is not part of the model
    assert (model.path / "model.bin").read_bytes() == (tiny_model / "model.bin").read_bytes()


# -- serving --------------------------------------------------------------------------------------


async def test_a_translator_of_its_pair_is_served_by_it(host: TaskHost, tiny_model):
    assert await host.ok("task-availability", options=EN_DE) == "available"
    created = await host.create(**EN_DE)
    assert (created["provider"], created["model"], created["inputQuota"]) == ("translation", "opus-mt-en-de", translation.MAX_INPUT)
    assert await host.ok("task-measure", task=created["task"], input=SENTENCE) == tokens(tiny_model, SENTENCE)
    rid = host.send("task-run", task=created["task"], input=SENTENCE)
    assert (await host.wait(rid))["type"] == "done"
    expected = direct(tiny_model, SENTENCE)
    assert host.text(rid) == expected and expected.strip()
    assert len(host.of(rid, "chunk")) > 1  # streamed as decoded, not in one piece
    rows = [r for r in await host.usage() if r["action"] == "translate"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["provider"], row["model"], row["outcome"]) == ("translation", "opus-mt-en-de", "ok")
    assert row["input_tokens"] == tokens(tiny_model, SENTENCE) and row["output_tokens"] > 0


async def test_lines_are_translated_one_by_one_keeping_the_layout(host: TaskHost, tiny_model):
    task = (await host.create(**EN_DE))["task"]
    _, text = await host.run(task, "Good morning.\n\n  The cat sleeps. \nThank you")
    lines = ["Good morning.", "The cat sleeps.", "Thank you"]
    assert text == "{}\n\n  {} \n{}".format(*(direct(tiny_model, line) for line in lines))


async def test_input_over_the_quota_is_refused(host: TaskHost, tiny_model):
    task = (await host.create(**EN_DE))["task"]
    reply = await host.call("task-run", task=task, input="The cat sleeps on the mat. " * 60)
    assert reply["error"]["name"] == "QuotaExceededError"
    assert reply["error"]["details"]["quota"] == translation.MAX_INPUT
    assert reply["error"]["details"]["requested"] == tokens(tiny_model, ("The cat sleeps on the mat. " * 60).strip())


async def test_other_pairs_still_use_the_chat_provider(host: TaskHost):
    en_es = {**EN_DE, "targetLanguage": "es"}
    assert await host.ok("task-availability", options=en_es) == "downloadable"  # the echo mock's answer before a create
    created = await host.create(**en_es)
    assert created["provider"] == "echo"
    assert await host.run(created["task"], "hello") == ({}, "hello")
    # A page that picks a chat provider gets that provider (the echo backend speaks no German), not the model.
    named = await host.call("task-create", options={**EN_DE, "provider": "echo"})
    assert named["error"]["name"] == "NotSupportedError"


class _Slow:
    """CTranslate2's translator, one decoding step every 20 ms, counting the steps it made."""

    def __init__(self, translator: Any):
        self.translator = translator
        self.steps = 0

    def generate_tokens(self, tokens: list[str], **options: Any) -> Iterator[Any]:
        for step in self.translator.generate_tokens(tokens, **options):
            time.sleep(0.02)
            self.steps += 1
            yield step


@pytest.fixture
def slow(monkeypatch) -> list[_Slow]:
    made: list[_Slow] = []
    load = translation.TranslationModels.load

    def slowed(self: translation.TranslationModels, installed: Any) -> translation.Loaded:
        loaded = load(self, installed)
        made.append(_Slow(loaded.translator))
        return translation.Loaded(made[-1], loaded.source, loaded.target)

    monkeypatch.setattr(translation.TranslationModels, "load", slowed)
    return made


async def test_an_aborted_translation_stops_the_model(host: TaskHost, slow, tiny_model):
    task = (await host.create(**EN_DE))["task"]
    rid = host.send("task-run", task=task, input=SENTENCE)
    end = time.monotonic() + 5
    while not (slow and slow[0].steps >= 2):
        assert time.monotonic() < end, "the model made no step within 5 s"
        await asyncio.sleep(0.01)
    assert await host.ok("cancel", target=rid) == {"cancelled": True}
    reply = await host.wait(rid, deadline=5.0)
    assert reply["type"] == "error" and reply["error"]["name"] == "AbortError", (reply, host.text(rid), slow[0].steps)
    await asyncio.sleep(0.1)
    stopped = slow[0].steps
    await asyncio.sleep(0.3)
    assert slow[0].steps == stopped < translation.max_output(tokens(tiny_model, SENTENCE) - 1)  # cut short, and no step since
    assert [r["outcome"] for r in await host.usage() if r["action"] == "translate"] == ["AbortError"]
    _, again = await host.run(task, "Hello")  # the translator still works
    assert again


async def test_a_translation_past_its_deadline_ends_with_a_timeout(host: TaskHost, slow, monkeypatch):
    monkeypatch.setattr(translation, "DEADLINE", 0.3)
    task = (await host.create(**EN_DE))["task"]
    reply = await host.call("task-run", task=task, input=SENTENCE)
    assert reply["error"]["name"] == "TimeoutError"
    assert [r["outcome"] for r in await host.usage() if r["action"] == "translate"] == ["TimeoutError"]


async def test_a_damaged_model_is_named_and_the_host_carries_on(host: TaskHost):
    model = ModelStore().get("opus-mt-en-de")
    (model.path / "model.bin").write_bytes(b"not a model")
    reply = await host.call("task-create", options=EN_DE)
    assert reply["error"]["name"] == "DataError"
    assert str(model.path) in reply["error"]["message"] and "navllm models verify opus-mt-en-de" in reply["error"]["message"]
    en_es = await host.create(**{**EN_DE, "targetLanguage": "es"})
    assert await host.run(en_es["task"], "hello") == ({}, "hello")


async def test_without_the_runtime_the_chat_providers_translate(host: TaskHost, monkeypatch):
    monkeypatch.setattr(translation, "runtime_missing", lambda: "CTranslate2 is missing")
    # The echo backend, the only chat provider here, speaks no German.
    assert await host.ok("task-availability", options=EN_DE) == "unavailable"
    assert (await host.call("task-create", options=EN_DE))["error"]["name"] == "NotSupportedError"


def _translate(folder: Path, store: Path, text: str) -> tuple[str, Usage]:
    """``text`` through the engine alone, on ``folder`` installed in a store of its own."""

    async def run() -> tuple[str, Usage]:
        ModelStore(store).pull(f"folder:{folder}")
        model = translation.TranslationModels(lambda: ModelStore(store)).covering(("en", "de"))
        assert model is not None
        conversation = await model.open(CoreOptions(), lambda fraction: None)
        chunks = [c async for c in conversation.generate(Generation(messages=[text_message("user", text)]))]
        usage = chunks.pop()
        assert isinstance(usage, Usage)
        return "".join(str(c) for c in chunks), usage

    return asyncio.run(run())


def test_the_worker_thread_ends_with_the_run(tiny_model, tmp_path):
    """No translation thread outlives its generation."""
    before = {t.ident for t in threading.enumerate()}
    assert _translate(tiny_model, tmp_path / "store", SENTENCE)[0] == direct(tiny_model, SENTENCE)
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name == "translate"]


def test_the_end_of_sentence_ends_a_line_and_is_not_counted(tmp_path):
    """A model that ends its sentences early: the end token CTranslate2 yields is neither text nor output."""
    import ctranslate2
    import sentencepiece

    folder = build(tmp_path / "opus-mt-en-de", end_bias=30.0)
    source = sentencepiece.SentencePieceProcessor(model_file=str(folder / "source.spm"))
    made = ctranslate2.Translator(str(folder)).translate_batch([source.encode(SENTENCE, out_type=str)], beam_size=1)[0].hypotheses[0]
    text, usage = _translate(folder, tmp_path / "store", SENTENCE)
    assert text == direct(folder, SENTENCE) and usage.output_tokens == len(made) < translation.max_output(tokens(folder, SENTENCE) - 1)
