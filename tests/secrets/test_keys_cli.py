"""``navllm keys`` as a user runs it: secrets piped in, never printed, kept in the keychain or the vault."""

from __future__ import annotations

import os
import subprocess
import sys

SECRET = "sk-cli-Pz7Qw2Xe9Rt4Yu6Io1Lk3"
PASSPHRASE = "cli vault passphrase"


def navllm(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "navllm", *args], input=stdin, capture_output=True, text=True, env=dict(os.environ), timeout=60
    )


def test_set_list_delete_with_the_secret_service(secret_service):
    from navllm.secrets.store import KeyStore

    done = navllm("keys", "set", "openai", stdin=SECRET + "\n")
    assert done.returncode == 0, done.stderr
    assert "secret-service" in done.stdout
    listed = navllm("keys", "list")
    assert "openai" in listed.stdout and "secret-service" in listed.stdout
    assert KeyStore().provider_secret("openai") == SECRET
    assert navllm("keys", "delete", "openai").returncode == 0
    assert KeyStore().provider_secret("openai") is None
    missing = navllm("keys", "delete", "openai")
    assert missing.returncode == 1 and "no key was stored" in missing.stderr
    for run in (done, listed, missing):
        assert SECRET not in run.stdout + run.stderr


def test_the_vault_when_no_keychain_is_available():
    created = navllm("keys", "unlock", stdin=PASSPHRASE + "\n")
    assert created.returncode == 0 and "created the vault" in created.stdout
    wrong = navllm("keys", "unlock", stdin="not it\n")
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    stored = navllm("keys", "set", "groq", stdin=f"{PASSPHRASE}\n{SECRET}\n")
    assert stored.returncode == 0 and "vault" in stored.stdout, stored.stderr
    refused = navllm("keys", "set", "groq", stdin=f"not it\n{SECRET}\n")
    assert refused.returncode == 1
    listed = navllm("keys", "list")
    assert "groq" in listed.stdout and "vault" in listed.stdout
    assert navllm("keys", "lock").returncode == 0
    for run in (created, wrong, stored, refused, listed):
        assert SECRET not in run.stdout + run.stderr and PASSPHRASE not in run.stdout + run.stderr
