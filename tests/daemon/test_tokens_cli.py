"""``navllm tokens``: a token is shown once, stored as its hash only, listed without it, revoked by name."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from navllm.cli import main
from navllm.policy.apps import Apps
from navllm.policy.db import connect, db_path


def test_create_list_revoke(capsys):
    assert main(["tokens", "create", "my-editor", "--expires", "7", "--providers", "local,my-openai"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("navllm-") and len(token) > 40

    stored = sqlite3.connect(db_path()).execute("SELECT * FROM app_tokens").fetchall()
    assert token not in repr(stored)  # only its SHA-256

    assert main(["tokens", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert token not in listed
    (app,) = json.loads(listed)
    assert app["name"] == "my-editor" and app["providers"] == ["local", "my-openai"] and app["lastUsedAt"] is None
    assert 6.9 * 86400 < app["expiresAt"] - time.time() <= 7 * 86400

    assert Apps(connect()).authenticate(token, time.time()).name == "my-editor"
    assert main(["tokens", "list"]) == 0
    assert "my-editor" in capsys.readouterr().out

    assert main(["tokens", "create", "my-editor"]) == 1  # one token per app: revoke first
    assert main(["tokens", "revoke", "my-editor"]) == 0
    assert Apps(connect()).authenticate(token, time.time()) is None
    assert main(["tokens", "revoke", "my-editor"]) == 1


@pytest.mark.parametrize("name", ["", "Has Space", "app:x", ".leading", "x" * 65])
def test_bad_app_names_are_refused(name, capsys):
    assert main(["tokens", "create", name]) == 1
    assert "not an app name" in capsys.readouterr().err


def test_default_scope_is_on_device_only(capsys):
    assert main(["tokens", "create", "script"]) == 0
    capsys.readouterr()
    assert [a.providers for a in Apps(connect()).all()] == [("local",)]
