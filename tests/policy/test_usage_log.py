"""The usage log: what is recorded, history text only when on and only within retention, exports, aggregates."""

from __future__ import annotations

import csv
import io
import json

from policy_host import SITE, kind

from navllm.policy import UsageRecord
from navllm.policy.gate import PolicyGate
from navllm.policy.usage import DAY
from navllm.protocol.common import Caller
from navllm.settings import Settings
from tests.support.host_process import PAGE

OTHER = {**PAGE, "origin": "https://other.example"}


def _prompt(host, caller, text="hi"):
    session = host.create(caller)["data"]["session"]
    reply = host.call("prompt", caller, session=session, input=[{"role": "user", "content": [{"type": "text", "value": text}]}])
    assert kind(reply) == "done"


def test_csv_export_defuses_page_text_that_spreadsheets_would_run(host):
    host.decide("always")
    host.admin("settings.set", values={"historyEnabled": True})
    formulas = ['=HYPERLINK("https://evil.example","open")', "+1+1", "-2", "@SUM(A1)", "\tindented"]
    for text in formulas:
        _prompt(host, PAGE, text)
    table = [r for r in csv.DictReader(io.StringIO(host.admin("usage.export", format="csv")["body"])) if r["action"] == "prompt"]
    assert [r["prompt_text"] for r in table] == ["'" + t for t in formulas]
    rows = [r for r in json.loads(host.admin("usage.export", format="json")["body"]) if r["action"] == "prompt"]
    assert [r["prompt_text"] for r in rows] == formulas  # JSON is data, kept as sent


def test_every_prompt_is_logged_text_only_with_history_on(host):
    host.decide("always")
    host.decide("always", OTHER)
    _prompt(host, PAGE, "secret one")
    rows = json.loads(host.admin("usage.export", format="json")["body"])
    assert [r["action"] for r in rows] == ["create", "prompt"]  # every request, not only prompts
    row = rows[1]
    assert (row["origin"], row["provider"], row["model"], row["action"], row["outcome"]) == (SITE, "echo", "echo", "prompt", "ok")
    assert row["input_tokens"] > 0 and row["output_tokens"] > 0 and row["latency_ms"] >= 0
    assert row["prompt_text"] is None and row["reply_text"] is None
    assert b"secret one" not in (host.home / "data" / "navllm.db").read_bytes()

    host.admin("settings.set", values={"historyEnabled": True})
    _prompt(host, PAGE, "kept two")
    _prompt(host, OTHER, "other three")
    rows = [r for r in json.loads(host.admin("usage.export", format="json")["body"]) if r["action"] == "prompt"]
    assert [r["prompt_text"] for r in rows] == [None, "kept two", "other three"]
    assert "kept two" in rows[1]["reply_text"]

    table = [r for r in csv.DictReader(io.StringIO(host.admin("usage.export", format="csv")["body"])) if r["action"] == "prompt"]
    assert [r["origin"] for r in table] == [SITE, SITE, "https://other.example"]
    assert table[1]["prompt_text"] == "kept two"

    series = host.admin("usage.series", days=7)
    assert {(r["origin"], r["provider"], r["action"], r["requests"]) for r in series} == {
        (SITE, "echo", "create", 2),
        (SITE, "echo", "prompt", 2),
        ("https://other.example", "echo", "create", 1),
        ("https://other.example", "echo", "prompt", 1),
    }
    summary = host.admin("usage.summary")
    assert summary["byOrigin"][SITE]["today"]["requests"] == 4
    assert summary["byProvider"]["echo"]["30 days"]["requests"] == 6

    assert host.admin("usage.clear", origin=SITE) == {"deleted": 4}
    assert {r["origin"] for r in json.loads(host.admin("usage.export", format="json")["body"])} == {"https://other.example"}
    assert host.admin("usage.clear") == {"deleted": 2}
    assert host.admin("usage.series", days=30) == []


def _record(gate: PolicyGate, origin: str, text: str, **caller) -> None:
    gate.record(
        UsageRecord(
            caller=Caller(kind="page", origin=origin, tab_id=1, **caller),
            action="prompt",
            provider="local",
            model="m",
            input_tokens=3,
            output_tokens=4,
            latency_ms=5.0,
            outcome="ok",
            prompt_text=text,
            reply_text=text.upper(),
        )
    )


def test_history_text_is_dropped_after_the_retention_period(tmp_path):
    clock = [1_800_000_000.0]
    settings = Settings(history_enabled=True, history_retention_days=2)
    gate = PolicyGate(lambda: settings, clock=lambda: clock[0], path=tmp_path / "p.db")
    _record(gate, SITE, "old")
    clock[0] += 1.5 * DAY
    _record(gate, SITE, "newer")
    assert [r["prompt_text"] for r in gate.persistent.usage.rows()] == ["old", "newer"]
    clock[0] += 1 * DAY  # "old" is now 2.5 days old, "newer" 1 day
    _record(gate, SITE, "newest")  # each record enforces retention (at most hourly)
    rows = gate.persistent.usage.rows()
    assert [(r["prompt_text"], r["reply_text"]) for r in rows] == [(None, None), ("newer", "NEWER"), ("newest", "NEWEST")]
    assert [r["input_tokens"] for r in rows] == [3, 3, 3]  # the figures stay


def test_private_window_usage_never_reaches_the_disk(tmp_path):
    settings = Settings(history_enabled=True)
    gate = PolicyGate(lambda: settings, path=tmp_path / "p.db")
    _record(gate, "https://private.example", "incognito text", incognito=True)
    assert gate.persistent.usage.rows() == []
    assert [r["prompt_text"] for r in gate.store(True).usage.rows()] == [None]
    gate.end_incognito()
    assert gate.store(True).usage.rows() == []
    for file in tmp_path.iterdir():
        assert b"private.example" not in file.read_bytes()
