"""``navllm grants`` and ``navllm usage`` against the store the host reads."""

from __future__ import annotations

import csv
import io
import json

import pytest
from policy_host import Host, echo_only, kind

from navllm.cli import main
from tests.support.host_process import PAGE

SITE = PAGE["origin"]


def cli(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_grants_commands_change_what_the_running_host_decides(navllm_home, capsys):
    echo_only(navllm_home)
    host = Host(navllm_home)
    try:
        assert kind(host.create()) == "permission_required"
        assert "allowed https://example.com to use: local" in cli(capsys, "grants", "allow", SITE, "--expires", "30d")
        assert kind(host.create()) == "done"  # the host reads the store on every call
        cli(capsys, "grants", "deny", SITE)
        assert kind(host.create()) == "NotAllowedError"
        listed = json.loads(cli(capsys, "grants", "list", "--json"))
        assert [(g["origin"], g["state"]) for g in listed["grants"]] == [(SITE, "denied")]
        assert "revoked 1" in cli(capsys, "grants", "revoke", SITE)
        assert kind(host.create()) == "permission_required"

        for _ in range(3):
            host.decide("dismiss")
        assert "blocked  https://example.com" in cli(capsys, "grants", "list")
        assert "lifted" in cli(capsys, "grants", "lift", SITE)
        assert kind(host.create()) == "permission_required"
    finally:
        host.close()


def test_grants_delegate_lets_a_sites_frames_ask_and_takes_it_back(navllm_home, capsys):
    echo_only(navllm_home)
    frame = {**PAGE, "origin": "https://widget.example", "topOrigin": SITE, "frameId": 7}
    host = Host(navllm_home)
    try:
        assert kind(host.create(frame)) == "NotAllowedError"  # not delegated: refused without asking
        assert "may now ask inside https://example.com" in cli(capsys, "grants", "delegate", "https://widget.example", "--in", SITE)
        assert kind(host.create(frame)) == "permission_required"
        listed = json.loads(cli(capsys, "grants", "list", "--json"))
        assert listed["delegations"] == [{"topOrigin": SITE, "frameOrigin": "https://widget.example"}]
        assert "frames   https://widget.example may ask inside https://example.com" in cli(capsys, "grants", "list")
        cli(capsys, "grants", "delegate", "https://widget.example", "--in", SITE, "--stop")
        assert kind(host.create(frame)) == "NotAllowedError"
    finally:
        host.close()


@pytest.mark.parametrize(
    "args",
    [
        ("grants", "allow", "file://"),
        ("grants", "allow", "http://example.com"),
        ("grants", "allow", SITE, "--expires", "2001-01-01"),
        ("grants", "delegate", "http://widget.example", "--in", SITE),
    ],
)
def test_grants_refuses_bad_input(capsys, args):
    assert main(list(args)) == 1
    assert "navllm:" in capsys.readouterr().err
    assert main(["grants", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["grants"] == []


def test_usage_summary_export_and_clear(navllm_home, capsys):
    echo_only(navllm_home)
    host = Host(navllm_home)
    try:
        host.decide("always")
        session = host.create()["data"]["session"]
        for _ in range(2):
            assert (
                kind(host.call("prompt", PAGE, session=session, input=[{"role": "user", "content": [{"type": "text", "value": "hi"}]}]))
                == "done"
            )
    finally:
        host.close()
    table = cli(capsys, "usage")
    site_line = next(line for line in table.splitlines() if line.startswith(SITE))
    assert site_line.split()[1] == "3"  # today: 1 create and 2 prompts
    assert any(line.startswith("echo") for line in table.splitlines())
    rows = json.loads(cli(capsys, "usage", "--json", "--days", "1"))
    assert [r["action"] for r in rows] == ["create", "prompt", "prompt"] and rows[0]["origin"] == SITE
    assert len(list(csv.DictReader(io.StringIO(cli(capsys, "usage", "--csv"))))) == 3
    assert "deleted 3" in cli(capsys, "usage", "--clear", SITE)
    assert "(no requests)" in cli(capsys, "usage")
