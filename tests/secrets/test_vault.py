"""The encrypted vault on disk: passphrase, tampering, file modes, fresh nonces, atomic writes, locking."""

from __future__ import annotations

import json
import os
import stat

import pytest

from navllm.protocol.errors import NavError
from navllm.secrets.vault import NONCE_BYTES, Vault

PASSPHRASE = "correct horse battery staple"
SECRET = "sk-live-VAULTED-0123456789"


@pytest.fixture
def vault() -> Vault:
    v = Vault()
    v.unlock(PASSPHRASE)
    v.set("openai", SECRET)
    return v


def test_round_trip_header_and_modes(vault):
    data = vault.path.read_bytes()
    header = json.loads(data.partition(b"\n")[0])
    assert {k: header[k] for k in ("v", "kdf", "m", "t", "p")} == {"v": 1, "kdf": "argon2id", "m": 65536, "t": 3, "p": 4}
    assert SECRET.encode() not in data and b"openai" not in data  # names are encrypted too
    assert stat.S_IMODE(vault.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.path.parent.stat().st_mode) == 0o700

    reopened = Vault()
    reopened.unlock(PASSPHRASE)
    assert reopened.get("openai") == SECRET


def test_wrong_passphrase_is_refused_and_changes_nothing(vault):
    before = vault.path.read_bytes()
    other = Vault()
    with pytest.raises(NavError) as caught:
        other.unlock("not the passphrase")
    assert caught.value.name == "NotAllowedError" and "wrong passphrase" in caught.value.message
    assert not other.unlocked
    assert vault.path.read_bytes() == before


def test_tampered_header_or_ciphertext_fails_to_decrypt(vault):
    original = vault.path.read_bytes()
    header, _, rest = original.partition(b"\n")

    weaker = json.dumps({**json.loads(header), "t": 2}, separators=(",", ":")).encode()
    vault.path.write_bytes(weaker + b"\n" + rest)
    with pytest.raises(NavError) as caught:
        Vault().unlock(PASSPHRASE)
    assert caught.value.name == "NotAllowedError"  # the header is authenticated data

    flipped = bytearray(original)
    flipped[-5] ^= 0x01
    vault.path.write_bytes(bytes(flipped))
    with pytest.raises(NavError) as caught:
        Vault().unlock(PASSPHRASE)
    assert caught.value.name == "NotAllowedError"

    huge = json.dumps({**json.loads(header), "m": 1 << 30}).encode()
    vault.path.write_bytes(huge + b"\n" + rest)
    with pytest.raises(NavError) as caught:
        Vault().unlock(PASSPHRASE)  # refused before deriving: no 1 TiB allocation
    assert caught.value.name == "DataError"


def test_every_save_uses_a_fresh_nonce(vault):
    first = vault.path.read_bytes()
    vault.set("openai", SECRET)
    second = vault.path.read_bytes()
    nonce = slice(first.index(b"\n") + 1, first.index(b"\n") + 1 + NONCE_BYTES)
    assert first[nonce] != second[nonce] and first != second


def test_a_failed_write_leaves_the_old_vault_whole(vault, monkeypatch):
    before = vault.path.read_bytes()

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        vault.set("anthropic", "sk-ant-NEW")
    monkeypatch.undo()
    assert vault.path.read_bytes() == before
    assert [p.name for p in vault.path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert vault.get("anthropic") is None and vault.get("openai") == SECRET


def test_locked_vault_says_how_to_unlock_and_a_lock_request_reaches_other_processes(vault):
    other = Vault()  # as `navllm keys lock` would, from another process
    other.request_lock()
    assert not vault.unlocked
    with pytest.raises(NavError) as caught:
        vault.get("openai")
    assert caught.value.name == "InvalidStateError" and "navllm keys unlock" in caught.value.message
    vault.unlock(PASSPHRASE)  # a later unlock is not undone by the earlier request
    assert vault.get("openai") == SECRET


def test_a_new_vault_needs_a_real_passphrase():
    with pytest.raises(NavError) as caught:
        Vault().unlock("short")
    assert caught.value.name == "TypeError"
    assert not Vault().exists()
