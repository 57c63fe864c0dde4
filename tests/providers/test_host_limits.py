"""The real host against hostile remote servers: floods and trickles end in one clean error naming the
provider and the limit while the host's memory stays bounded and it keeps serving; history keeps
only completed replies, capped; masked keys in server errors reach neither the page nor the log."""

from __future__ import annotations

import json
import time

import pytest
from fake_anthropic import MODEL as CLAUDE
from fake_anthropic import FakeAnthropic, error_event
from fake_http import Script, status
from fake_openai import MODEL, FakeOpenAI, chunk, text_stream
from floods import PeakRSS, openai_line, openai_text_flood, trickle
from host_session import HostSession

from navllm.policy.usage import HISTORY_CHARS
from tests.support.host_process import ADMIN, PAGE

SAY = [{"role": "user", "content": [{"type": "text", "value": "hi"}]}]
# Shaped like an OpenAI project key; its last four characters are what OpenAI's masks show.
KEY = "sk-proj-Hq7ZtW2xV9kL4rB8nF3dQz5Y"


class Host(HostSession):
    """A host with history on, one granted provider chain and one session."""

    def __init__(self, home, providers: list[dict], key: str | None = None):
        super().__init__(home, historyEnabled=True)
        for provider in providers:
            self.admin("providers.add", provider=provider)
            if key:
                self.admin("vault.unlock", passphrase="correct horse battery")
                self.admin("keys.set", provider=provider["name"], secret=key)
        self.admin("grants.set", origin=PAGE["origin"], state="granted", providers=[p["name"] for p in providers])
        self.session = self.create()

    def prompt(self) -> tuple[str, dict]:
        return super().prompt(self.session, SAY, keep_chunks=False)

    def history(self) -> list[dict]:
        return [r for r in json.loads(self.admin("usage.export", format="json")["body"]) if r["action"] == "prompt"]

    def logs(self) -> str:
        self.proc.proc.stdin.close()
        assert self.proc.proc.wait(10) == 0
        return self.proc.stderr() + "".join(p.read_text(errors="replace") for p in (self.home / "logs").glob("*"))


def test_floods_and_trickles_through_the_host(navllm_home):
    with FakeOpenAI() as server:
        host = Host(navllm_home, [{"name": "work", "kind": "openai", "baseUrl": server.base_url, "model": MODEL, "deadline": 2}])
        try:
            assert host.prompt()[0] == "You said: hi"
            figures = {}
            for name, script in (("reply flood", Script(events=openai_text_flood())), ("one 200 MB line", Script(events=openai_line()))):
                server.client_went_away.clear()
                server.then(script)
                started = time.monotonic()
                with PeakRSS(host.proc.proc.pid) as rss:
                    text, done = host.prompt()
                figures[name] = (time.monotonic() - started, rss.growth_mb)
                assert done["type"] == "error" and done["error"]["name"] == "OperationError", done
                assert "work" in done["error"]["message"] and (
                    "1,048,576 characters" in done["error"]["message"] or "bytes in one event" in done["error"]["message"]
                )
                assert len(text) <= 1 << 20 and rss.growth_mb < 100, (name, figures[name])
                assert server.client_went_away.wait(10)

            server.then(Script(events=trickle(chunk({"role": "assistant", "content": ""}), chunk({"content": "x"})), event_delay=0.05))
            started = time.monotonic()
            text, done = host.prompt()
            assert (
                done["error"]["name"] == "TimeoutError" and "work" in done["error"]["message"] and "2 seconds" in done["error"]["message"]
            )
            assert time.monotonic() - started < 6

            # the host serves on; a long reply is kept in history, capped; a cut-off one is not kept at all
            long = "y" * (HISTORY_CHARS + 1000)
            server.then(Script(events=text_stream([long])))
            assert host.prompt()[0] == long
            rows = host.history()
            assert [r["outcome"] for r in rows] == ["ok", "OperationError", "OperationError", "TimeoutError", "ok"]
            assert [r["reply_text"] for r in rows[1:4]] == [None, None, None]
            assert rows[4]["reply_text"].startswith("y" * HISTORY_CHARS) and len(rows[4]["reply_text"]) < HISTORY_CHARS + 100

            # the largest reply a provider may be allowed is relayed whole, kept in the session and recorded
            refused = host.call("providers.update", ADMIN, name="work", changes={"maxReplyChars": 8 << 20})
            assert refused["type"] == "error" and refused["error"]["name"] == "TypeError"
            host.admin("providers.update", name="work", changes={"maxReplyChars": 2 << 20})
            host.session = host.call("create", PAGE)["data"]["session"]  # sessions keep the provider they opened on
            server.then(Script(events=text_stream(["z" * 65536] * 32)))
            text, done = host.prompt()
            assert done["type"] == "done" and len(text) == 2 << 20, done
            assert len(host.history()[-1]["reply_text"]) < HISTORY_CHARS + 100

            # behind a prefilled assistant prefix, prefix and reply together outgrow one text part
            host.admin("providers.update", name="work", changes={"contextWindow": 10_000_000})
            session = host.create()
            prefix = {"role": "assistant", "prefix": True, "content": [{"type": "text", "value": "p" * (3 << 20)}]}
            server.then(Script(events=text_stream(["z" * 65536] * 32)))
            text, done = HostSession.prompt(host, session, [*SAY, prefix], keep_chunks=False)
            assert done["type"] == "done" and len(text) == 2 << 20, done
        finally:
            host.proc.close()
    print(figures)


def leaks(text: str) -> list[str]:
    """Every run of four or more characters of the key found in ``text``."""
    return sorted({KEY[i : i + 4] for i in range(len(KEY) - 3) if KEY[i : i + 4] in text})


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_masked_keys_in_server_errors_reach_neither_page_nor_log(navllm_home, kind):
    masked = ["sk-pr...Qz5Y", "sk-****Qz5Y", "sk-proj-Hq…Qz5Y", KEY[:8] + "*" * 20 + KEY[-4:], "key ending in Qz5Y"]
    if kind == "openai":
        server = FakeOpenAI(key=KEY)
        provider = {"name": "work", "kind": "openai", "baseUrl": f"{server.origin}/v1", "model": MODEL}

        def failing(text):
            return status(
                403,
                {"error": {"message": f"Incorrect API key provided: {text}.", "type": "invalid_request_error", "code": "invalid_api_key"}},
            )
    else:
        server = FakeAnthropic(key=KEY)
        provider = {"name": "work", "kind": "anthropic", "baseUrl": server.origin, "model": CLAUDE}

        def failing(text):
            return Script(events=[error_event("permission_error", f"this key ({text}) may not use this model")])

    with server:
        host = Host(navllm_home, [provider], key=KEY)
        try:
            assert host.prompt()[0] == "You said: hi"
            messages = []
            for text in masked:
                server.then(failing(text))
                _, done = host.prompt()
                assert done["type"] == "error", done
                messages.append(done["error"]["message"])
            assert all("[redacted]" in m for m in messages), messages
        finally:
            logs = host.logs() if host.proc.proc.poll() is None else ""
            host.proc.close()
    assert "work" in logs
    assert leaks(json.dumps(host.replies)) == [] and leaks(json.dumps(messages)) == []
    assert leaks(logs) == []
