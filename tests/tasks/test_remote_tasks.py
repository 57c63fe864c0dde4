"""Tasks through a remote chat provider (a fake OpenAI-compatible server on 127.0.0.1): the
translation is prompted, the proofreader asks for its JSON Schema, and usage names the provider."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.tasks.conftest import TaskHost, write_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))  # the fake servers import each other by name
from fake_openai import MODEL, FakeOpenAI


def content(message: dict[str, Any]) -> str:
    value = message["content"]
    return value if isinstance(value, str) else "".join(p.get("text", "") for p in value)


async def test_translate_and_proofread_through_a_remote_chat_provider(navllm_home):
    with FakeOpenAI() as server:
        write_settings(navllm_home, providers=[{"name": "remote", "kind": "openai", "baseUrl": server.base_url, "model": MODEL}])
        host = TaskHost()
        try:
            await host.grant(providers=("remote",))
            pair = {"kind": "translator", "sourceLanguage": "de", "targetLanguage": "fr"}
            assert await host.ok("task-availability", options=pair) == "available"  # any chat model translates
            assert await host.ok("task-availability", options={**pair, "targetLanguage": "tlh"}) == "unavailable"
            translator = await host.create(**pair)
            assert translator["provider"] == "remote" and translator["inputQuota"] > 0
            result, text = await host.run(translator["task"], "Guten Morgen")
            assert result == {} and text.startswith("You said: <text>\nGuten Morgen\n</text>")  # the fake echoes the user turn
            system, _ = (content(m) for m in server.generations()[-1].body["messages"])
            assert "from German into French" in system and "Guten Morgen" not in system

            proofreader = await host.create(kind="proofreader", includeCorrectionTypes=True)
            result, text = await host.run(proofreader["task"], "teh cat")
            assert server.generations()[-1].body["response_format"]["type"] == "json_schema"
            # The fake answers {"answer": "ok"}, which holds no corrected text: the input stands.
            assert (result, text) == ({"correctedInput": "teh cat", "corrections": []}, "")
            rows = {r["action"]: r for r in await host.usage()}
            assert rows["translate"]["provider"] == rows["proofread"]["provider"] == "remote"
        finally:
            await host.close()
