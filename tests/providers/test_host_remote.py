"""The real host process: providers and keys set through admin messages, page prompts streamed from fake
servers, the fallback chain under injected faults, and no key bytes in any reply, log line or stderr."""

from __future__ import annotations

import json

import pytest
from fake_http import Script, status
from fake_openai import MODEL, FakeOpenAI, text_stream
from host_session import SAY
from host_session import HostSession as Session
from provider_keys import KEY

from tests.support.host_process import ADMIN, PAGE

BACKUP_KEY = "sk-bk-Hh4Jd9Wq2Lp7Rt5Vx3Nm"


@pytest.fixture
def servers():
    with FakeOpenAI(key=KEY) as primary, FakeOpenAI(key=BACKUP_KEY) as backup:
        yield primary, backup


def leaks(text: str) -> list[str]:
    return [key[i : i + 8] for key in (KEY, BACKUP_KEY) for i in range(len(key) - 7) if key[i : i + 8] in text]


def test_chain_keys_and_fallback_through_the_real_host(navllm_home, servers):
    primary, backup = servers
    host = Session(navllm_home)
    try:
        presets = {p["id"]: p for p in host.admin("providers.presets")}
        assert presets["openrouter"]["baseUrl"] == "https://openrouter.ai/api/v1" and presets["ollama"]["keyNeeded"] is False

        host.admin(
            "providers.add", provider={"name": "primary", "kind": "openai", "baseUrl": primary.base_url, "model": MODEL, "label": "Primary"}
        )
        host.admin("providers.add", provider={"name": "backup", "kind": "openai", "baseUrl": backup.base_url, "model": MODEL})
        for bad in (
            {"name": "Bad Name", "kind": "openai"},
            {"name": "x", "kind": "openai", "baseUrl": "ftp://example.com"},
            {"name": "primary", "kind": "openai"},
            {"name": "y", "kind": "openai", "preset": "nope"},
        ):
            reply = host.call("providers.add", ADMIN, provider=bad)
            assert reply["type"] == "error" and reply["error"]["name"] in ("TypeError", "InvalidStateError", "NotFoundError"), reply
        assert [p["name"] for p in host.admin("providers.list")] == ["primary", "backup"]

        # keys: only from extension pages, into the vault (no keychain here), never readable back
        refused = host.call("keys.set", PAGE, provider="primary", secret=KEY)
        assert refused["type"] == "error" and refused["error"]["name"] == "NotAllowedError"
        locked = host.call("keys.set", ADMIN, provider="primary", secret=KEY)
        assert locked["error"]["name"] == "InvalidStateError" and "unlock" in locked["error"]["message"]
        assert host.admin("vault.unlock", passphrase="correct horse battery")["unlocked"] is True
        assert host.admin("keys.set", provider="primary", secret=KEY)["backend"] == "vault"
        assert host.admin("keys.set", provider="backup", secret=BACKUP_KEY)["present"] is True
        assert {s["provider"] for s in host.admin("keys.status")} == {"primary", "backup"}
        assert host.admin("providers.list")[0]["key"]["present"] is True

        grant = {"origin": PAGE["origin"], "state": "granted", "providers": ["primary", "backup"]}
        host.admin("grants.set", **grant)
        session = host.create()

        text, done = host.prompt(session)
        assert text == "You said: hello" and done["data"]["provider"] == "primary"
        assert primary.generations()[-1].headers["authorization"] == f"Bearer {KEY}"

        # 5xx until the retries run out: the backup answers, with its own key
        primary.then(*[status(500, {"error": {"message": "boom"}})] * 3)
        text, done = host.prompt(session)
        assert text == "You said: hello" and done["data"]["provider"] == "backup"
        assert backup.generations()[-1].headers["authorization"] == f"Bearer {BACKUP_KEY}"

        # the primary rejects its key, echoing part of it: the backup answers and the fragment goes nowhere
        primary.then(primary.unauthorized(KEY))
        text, done = host.prompt(session)
        assert done["data"]["provider"] == "backup"

        # once words reached the page, a dropped connection is reported, not spliced with another model's words
        primary.then(Script(events=text_stream(["part one ", "part two"]), drop_after=2))
        text, done = host.prompt(session)
        assert text == "part one " and done["error"]["name"] == "NetworkError"

        # everything fails before the first token: the primary's error, naming both
        primary.then(primary.unauthorized(KEY))
        backup.then(status(404, {"error": {"message": "model not found"}}))
        text, done = host.prompt(session)
        assert done["error"]["name"] == "NotAllowedError" and "primary" in done["error"]["message"] and "backup" in done["error"]["message"]

        check = host.admin("providers.test", name="primary")
        assert check["ok"] is True and check["latencyMs"] > 0
        assert primary.generations()[-1].body["max_tokens"] == 1

        host.admin("providers.order", names=["backup", "primary"])
        text, done = host.prompt(host.create())
        assert done["data"]["provider"] == "backup"
        bad_order = host.call("providers.order", ADMIN, names=["backup"])
        assert bad_order["error"]["name"] == "TypeError"
        assert [p["name"] for p in host.admin("providers.list")] == ["backup", "primary"]

        host.admin("providers.update", name="backup", changes={"enabled": False})
        text, done = host.prompt(host.create())
        assert done["data"]["provider"] == "primary"
        host.admin("providers.remove", name="backup", deleteKey=True)
        assert host.admin("keys.status", provider="backup")["present"] is False
        host.proc.proc.stdin.close()  # the browser goes away: the host exits and its stderr can be read whole
        assert host.proc.proc.wait(10) == 0
        stderr = host.proc.stderr()
    finally:
        host.proc.close()

    logs = "".join(p.read_text(errors="replace") for p in (navllm_home / "logs").glob("*"))
    assert "primary" in logs  # the log is real and was written under DEBUG
    for where, text in (("replies", json.dumps(host.replies)), ("stderr", stderr), ("host log", logs)):
        assert leaks(text) == [], f"key bytes in the {where}"
    stored = b"".join(p.read_bytes() for p in navllm_home.rglob("*") if p.is_file())
    assert KEY.encode() not in stored and BACKUP_KEY.encode() not in stored


def test_no_request_of_any_shape_gets_a_stored_key_back(navllm_home):
    from navllm.protocol.admin import keys, providers, status
    from navllm.protocol.page import PAGE_MESSAGES

    host = Session(navllm_home)
    try:
        host.admin(
            "providers.add", provider={"name": "work", "kind": "openai", "baseUrl": "http://127.0.0.1:9/v1", "model": "m", "timeout": 2}
        )
        host.admin("vault.unlock", passphrase="correct horse battery")
        host.admin("keys.set", provider="work", secret=KEY)
        shapes = (
            {},
            {"provider": "work", "name": "work", "session": "x", "input": SAY, "values": {}, "names": ["work"], "secret": 5},
            {"provider": "work", "secret": "x" * 9000, "passphrase": ""},
            {"options": {"provider": "work"}, "texts": ["a"]},
        )
        for cls in (*PAGE_MESSAGES, *keys.MESSAGES, *providers.MESSAGES, *status.MESSAGES):
            kind = cls.model_fields["type"].default
            for caller in (PAGE, ADMIN):
                for fields in shapes:
                    host.call(kind, caller, **fields)
        created = host.call("create", ADMIN)
        failed = host.call("prompt", ADMIN, session=created["data"]["session"], input=SAY)
        assert failed["error"]["name"] == "NetworkError"  # the key went to an unreachable server
        host.proc.proc.stdin.close()
        assert host.proc.proc.wait(10) == 0
        stderr = host.proc.stderr()
    finally:
        host.proc.close()
    assert len(host.replies) > 100
    logs = "".join(p.read_text(errors="replace") for p in (navllm_home / "logs").glob("*"))
    for where, text in (("replies", json.dumps(host.replies)), ("stderr", stderr), ("host log", logs)):
        assert leaks(text) == [], f"key bytes in the {where}"
