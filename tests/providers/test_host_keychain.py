"""A key set through the admin path lands in a real Secret Service, serves page prompts, and survives a host restart."""

from __future__ import annotations

import json

from fake_openai import MODEL
from provider_keys import KEY

from tests.support.host_process import ADMIN, PAGE, HostProcess

SAY = [{"role": "user", "content": [{"type": "text", "value": "hello"}]}]


def served(proc: HostProcess) -> tuple[str, dict]:
    created = proc.call("create", PAGE)
    assert created["type"] == "done", created
    replies = proc.until_done(proc.request("prompt", PAGE, session=created["data"]["session"], input=SAY))
    return "".join(r.get("delta", "") for r in replies if r["type"] == "chunk"), replies[-1]


def test_admin_key_in_the_keychain_is_used_and_never_returned(navllm_home, secret_service, openai_server):
    config = navllm_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    entry = {"name": "work", "kind": "openai", "preset": "openai", "baseUrl": openai_server.base_url, "model": MODEL}
    (config / "settings.json").write_text(json.dumps({"providers": [entry]}))
    seen = []

    proc = HostProcess(navllm_home)
    try:
        stored = proc.call("keys.set", ADMIN, provider="work", secret=KEY)
        assert stored["type"] == "done" and stored["data"]["backend"] == "secret-service", stored
        assert proc.call("vault.status", ADMIN)["data"] == {"exists": False, "unlocked": False, "newKeysGoTo": "secret-service"}
        assert proc.call("grants.set", ADMIN, origin=PAGE["origin"], state="granted", providers=["work"])["type"] == "done"
        text, done = served(proc)
        assert text == "You said: hello" and done["data"]["provider"] == "work"
        seen += [stored, done, proc.call("keys.status", ADMIN), proc.call("providers.list", ADMIN), proc.call("status", ADMIN)]
    finally:
        proc.close()

    restarted = HostProcess(navllm_home)  # a new browser session: the key comes back from the keychain
    try:
        text, done = served(restarted)
        assert text == "You said: hello"
        seen.append(done)
    finally:
        restarted.close()
    assert [r.headers["authorization"] for r in openai_server.generations()] == [f"Bearer {KEY}"] * 2
    assert KEY not in json.dumps(seen)
