"""The real host process: inputs declared through the admin messages and the CLI, availability and
provider choice by expected input types, and page prompts with images and audio reaching real
HTTP servers on 127.0.0.1 in the shapes the OpenAI and Anthropic APIs document."""

from __future__ import annotations

import json

import pytest
from fake_anthropic import MODEL as CLAUDE
from fake_anthropic import FakeAnthropic
from fake_http import status
from fake_openai import MODEL, FakeOpenAI
from host_session import HostSession
from test_multimodal_providers import PNG, wav_base64
from test_providers_cli import navllm

from navllm.cli import main
from tests.support.host_process import ADMIN, PAGE

IMAGE = {"type": "image", "mimeType": "image/png", "data": PNG}
EXPECT_IMAGE = {"expectedInputs": [{"type": "image"}]}


def say(*media: dict) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "value": "Describe it."}, *media]}]


def openai_entry(name: str, server: FakeOpenAI, **fields) -> dict:
    return {"name": name, "kind": "openai", "baseUrl": server.base_url, "model": MODEL, **fields}


def prompt(host: HostSession, session: str, input_: list[dict]) -> dict:
    return host.proc.until_done(host.proc.request("prompt", PAGE, session=session, input=input_))[-1]


def test_inputs_round_trip_through_the_admin_messages(navllm_home):
    host = HostSession(navllm_home, providers=[{"name": "local", "kind": "local"}])
    try:
        presets = {p["id"]: p for p in host.admin("providers.presets")}
        assert presets["openai"]["inputs"] == ["text", "image"] and presets["groq"]["inputs"] == ["text"]
        assert presets["gemini"]["inputs"] == ["text", "image", "audio"] and presets["anthropic"]["inputs"] == ["text", "image"]

        added = host.admin(
            "providers.add", provider={"name": "box", "kind": "openai", "baseUrl": "http://127.0.0.1:9/v1", "inputs": ["audio"]}
        )
        assert added["inputs"] == ["text", "audio"] and added["resolvedInputs"] == ["text", "audio"]
        grok = host.admin("providers.add", provider={"name": "grok", "preset": "groq"})
        assert grok["inputs"] is None and grok["resolvedInputs"] == ["text"]
        changed = host.admin("providers.update", name="grok", changes={"inputs": ["text", "image"]})
        assert changed["resolvedInputs"] == ["text", "image"]
        assert host.admin("providers.update", name="grok", changes={"inputs": None})["resolvedInputs"] == ["text"]
        for bad in ({"name": "c", "kind": "anthropic", "inputs": ["audio"]}, {"name": "d", "kind": "openai", "inputs": ["video"]}):
            reply = host.call("providers.add", ADMIN, provider=bad)
            assert reply["type"] == "error" and reply["error"]["name"] == "TypeError", reply
        refused = host.call("providers.update", ADMIN, name="local", changes={"inputs": ["text", "image"]})
        assert refused["error"]["name"] == "TypeError" and "cannot be set" in refused["error"]["message"]
        listed = {p["name"]: p for p in host.admin("providers.list")}
        assert listed["box"]["resolvedInputs"] == ["text", "audio"] and listed["local"]["resolvedInputs"] == ["text"]
        assert listed["grok"]["inputs"] is None
    finally:
        host.proc.close()


def test_inputs_round_trip_through_the_cli(navllm_home, capsys):
    assert navllm("add", "box", "--kind", "openai", "--base-url", "http://127.0.0.1:9/v1", "--inputs", "image,audio").returncode == 0
    stored = json.loads((navllm_home / "config" / "settings.json").read_text())["providers"]
    assert stored[-1]["inputs"] == ["text", "image", "audio"]
    assert "text+image+audio" in navllm("list").stdout
    assert navllm("edit", "box", "--inputs", "text").returncode == 0
    assert json.loads((navllm_home / "config" / "settings.json").read_text())["providers"][-1]["inputs"] == ["text"]
    assert navllm("edit", "box", "--inputs", "preset").returncode == 0
    assert json.loads((navllm_home / "config" / "settings.json").read_text())["providers"][-1]["inputs"] is None
    with pytest.raises(SystemExit) as bad:
        main(["providers", "edit", "box", "--inputs", "text,video"])
    assert bad.value.code == 2 and "name input types from text,image,audio" in capsys.readouterr().err
    assert "text+image+audio" in next(line for line in navllm("presets").stdout.splitlines() if line.startswith("gemini"))


def test_with_only_the_local_model_images_and_audio_are_unavailable(navllm_home):
    host = HostSession(navllm_home, providers=[{"name": "local", "kind": "local"}])
    try:
        for kind in ("image", "audio"):
            reply = host.call("availability", PAGE, options={"expectedInputs": [{"type": kind}]})
            assert reply["data"] == "unavailable", reply
        assert host.call("availability", PAGE, options={"expectedInputs": [{"type": "text"}]})["data"] != "unavailable"
        host.admin("grants.set", origin=PAGE["origin"], state="granted", providers=["local"])
        created = host.call("create", PAGE, options=EXPECT_IMAGE)
        assert created["type"] == "error" and created["error"]["name"] == "NotSupportedError", created
    finally:
        host.proc.close()


def test_page_images_and_audio_reach_each_api_in_its_documented_shape(navllm_home):
    wav = wav_base64()
    audio = {"type": "audio", "mimeType": "audio/wav", "data": wav}
    with FakeOpenAI() as plain, FakeOpenAI() as seer, FakeOpenAI() as backup, FakeAnthropic() as claude:
        host = HostSession(navllm_home)
        try:
            host.admin("providers.add", provider=openai_entry("plain", plain, inputs=["text"]))
            assert host.call("availability", PAGE, options=EXPECT_IMAGE)["data"] == "unavailable"
            host.admin("providers.add", provider=openai_entry("seer", seer, inputs=["text", "image", "audio"]))
            host.admin("providers.add", provider=openai_entry("backup", backup))
            host.admin("providers.add", provider={"name": "claude", "kind": "anthropic", "baseUrl": claude.origin, "model": CLAUDE})
            host.admin("grants.set", origin=PAGE["origin"], state="granted", providers=["plain", "seer", "backup", "claude"])
            assert host.call("availability", PAGE, options=EXPECT_IMAGE)["data"] == "available"
            assert host.call("availability", PAGE, options={"expectedInputs": [{"type": "audio"}]})["data"] == "available"

            # expecting images: the text-only first provider is passed over
            created = host.call("create", PAGE, options={"expectedInputs": [{"type": "image"}, {"type": "audio"}]})
            assert created["data"]["provider"] == "seer", created
            done = prompt(host, created["data"]["session"], say(IMAGE, audio))
            assert done["type"] == "done" and done["data"]["provider"] == "seer", done
            assert seer.generations()[-1].body["messages"][-1]["content"] == [
                {"type": "text", "text": "Describe it."},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "input_audio", "input_audio": {"data": wav, "format": "wav"}},
            ]

            # the fallback skips providers that cannot take the session's inputs: backup hears no audio, claude neither
            seer.then(*[status(503, {"error": {"message": "overloaded"}})] * 3)
            done = prompt(host, created["data"]["session"], say(IMAGE))
            assert done["type"] == "error" and done["error"]["name"] == "OperationError", done
            assert backup.generations() == [] and claude.generations() == [] and plain.generations() == []

            image_only = host.call("create", PAGE, options={"provider": "claude", **EXPECT_IMAGE})
            assert image_only["data"]["provider"] == "claude"
            done = prompt(host, image_only["data"]["session"], say(IMAGE))
            assert done["type"] == "done", done
            assert claude.generations()[-1].body["messages"][-1]["content"] == [
                {"type": "text", "text": "Describe it."},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
            ]

            # a session on a provider that takes no images refuses one, naming the setting
            host.admin("grants.set", origin=PAGE["origin"], state="granted", providers=["plain"])
            text_session = host.create()
            done = prompt(host, text_session, say(IMAGE))
            assert done["type"] == "error" and done["error"]["name"] == "NotSupportedError", done
            assert "plain" in done["error"]["message"] and "inputs" in done["error"]["message"]
            assert plain.generations() == []
        finally:
            host.proc.close()


def test_a_page_allowed_only_the_local_model_is_asked_about_one_that_reads_images(navllm_home):
    with FakeOpenAI() as seer:
        host = HostSession(navllm_home, providers=[{"name": "local", "kind": "local"}])
        try:
            host.admin("providers.add", provider=openai_entry("seer", seer))
            host.admin("grants.set", origin=PAGE["origin"], state="granted", providers=["local"])
            asked = host.call("create", PAGE, options=EXPECT_IMAGE)
            assert asked["type"] == "permission_required", asked
            assert asked["ask"]["providers"] == ["seer"], asked
            host.admin("grants.set", origin=PAGE["origin"], state="granted", providers=["local", "seer"])
            created = host.call("create", PAGE, options=EXPECT_IMAGE)
            assert created["data"]["provider"] == "seer", created
        finally:
            host.proc.close()
