"""The encrypted vault: API keys on disk when no trusted OS keychain is available.

File layout: one JSON header line, then a 12-byte nonce, then AES-256-GCM ciphertext of the
JSON ``{provider: secret}`` map. The header (KDF parameters and salt) is the associated data,
so any change to it makes decryption fail rather than silently weakening the key. The key is
derived with Argon2id (RFC 9106 second recommended option: 64 MiB, 3 passes, 4 lanes) and
lives only in this process's memory; a fresh nonce is drawn for every save.

Unlocks run one at a time per process: two Argon2id derivations at once hang forever in
cryptography 50 / OpenSSL 4, and a double-clicked Unlock should simply succeed twice.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, cast

from ..atomic import damaged, write_atomic
from ..paths import data_dir
from ..protocol.errors import ErrorName, NavError

VERSION = 1
MEMORY_KIB = 64 * 1024
PASSES = 3
LANES = 4
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
MIN_PASSPHRASE = 8
MAX_FILE = 1 << 20  # a few hundred keys of MAX_SECRET each

HOW_TO_UNLOCK = "unlock it with your passphrase in navllm's settings or with `navllm keys unlock`"

_KDF = threading.Lock()


def vault_dir() -> Path:
    path = data_dir() / "vault"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if hasattr(os, "fchmod"):
        path.chmod(0o700)
    return path


def _derive(passphrase: str, header: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(
        salt=base64.b64decode(header["salt"]),
        length=KEY_BYTES,
        iterations=header["t"],
        lanes=header["p"],
        memory_cost=header["m"],
    )
    return kdf.derive(passphrase.encode("utf-8"))


def _check_header(path: Path, header_bytes: bytes) -> dict[str, Any]:
    """Refuse headers we did not write (bounds keep a forged header from exhausting memory)."""
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError):
        header = None
    ok = (
        isinstance(header, dict)
        and header.get("v") == VERSION
        and header.get("kdf") == "argon2id"
        and isinstance(header.get("m"), int)
        and 8 * 1024 <= header["m"] <= 1024 * 1024
        and isinstance(header.get("t"), int)
        and 1 <= header["t"] <= 16
        and isinstance(header.get("p"), int)
        and 1 <= header["p"] <= 16
        and isinstance(header.get("salt"), str)
    )
    if ok:
        try:
            ok = len(base64.b64decode(header["salt"], validate=True)) == SALT_BYTES
        except ValueError:
            ok = False
    if not ok:
        raise damaged(path, "its header is not a navllm vault header")
    return cast("dict[str, Any]", header)  # checked just above


class Vault:
    """One vault file. Locked until ``unlock``; ``lock`` (or ``navllm keys lock``) forgets the key."""

    def __init__(self, path: Path | None = None):
        self.path = path or vault_dir() / "keys.vault"
        self._lock_stamp = self.path.with_name("lock-requested")
        self._key: bytes | None = None
        self._header: bytes | None = None
        self._unlocked_at = 0.0

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def unlocked(self) -> bool:
        if self._key is not None and self._lock_requested_since(self._unlocked_at):
            self.lock()
        return self._key is not None

    def check(self) -> None:
        """DataError when the file cannot be a vault (what needs no passphrase to tell); no file is fine."""
        if self.exists():
            _check_header(self.path, self._read()[0])

    def unlock(self, passphrase: str) -> None:
        """Derive the key and prove it on the file; the first unlock creates the vault.
        A concurrent unlock waits for this one, then runs (a double click unlocks, twice)."""
        with _KDF:
            self._unlock(passphrase)

    def _unlock(self, passphrase: str) -> None:
        self._unlocked_at = time.time()  # lock requests older than this no longer apply
        if not self.exists():
            if len(passphrase) < MIN_PASSPHRASE:
                raise NavError(ErrorName.TYPE, f"choose a vault passphrase of at least {MIN_PASSPHRASE} characters")
            header = {
                "v": VERSION,
                "kdf": "argon2id",
                "m": MEMORY_KIB,
                "t": PASSES,
                "p": LANES,
                "salt": base64.b64encode(secrets.token_bytes(SALT_BYTES)).decode(),
            }
            self._header = json.dumps(header, separators=(",", ":")).encode()
            self._key = _derive(passphrase, header)
            self._write({})
        else:
            header_bytes, _, _ = self._read()
            key = _derive(passphrase, _check_header(self.path, header_bytes))
            self._header, self._key = header_bytes, key
            try:
                self._entries()
            except NavError:
                self._header = self._key = None
                raise

    def lock(self) -> None:
        self._key = None
        self._header = None

    def request_lock(self) -> None:
        """Ask every process that holds this vault unlocked to forget its key (``navllm keys lock``)."""
        self.lock()
        write_atomic(self._lock_stamp, b"")

    def get(self, name: str) -> str | None:
        return self._entries().get(name)

    def names(self) -> list[str]:
        return sorted(self._entries()) if self.exists() and self.unlocked else []

    def set(self, name: str, secret: str) -> None:
        entries = self._entries()
        entries[name] = secret
        self._write(entries)

    def delete(self, name: str) -> bool:
        entries = self._entries()
        found = entries.pop(name, None) is not None
        if found:
            self._write(entries)
        return found

    def _entries(self) -> dict[str, str]:
        if not self.unlocked:
            raise NavError(ErrorName.INVALID_STATE, f"the key vault is locked; {HOW_TO_UNLOCK}")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None  # unlocked
        header, nonce, ciphertext = self._read()
        try:
            if header != self._header:
                raise InvalidTag
            plain = AESGCM(self._key).decrypt(nonce, ciphertext, header)
        except InvalidTag:
            raise NavError(
                ErrorName.NOT_ALLOWED, f"the vault could not be opened: wrong passphrase, or the vault file {self.path} was altered"
            ) from None
        entries = json.loads(plain)
        if not isinstance(entries, dict):
            raise damaged(self.path, "its decrypted content is not a key map")
        return entries

    def _read(self) -> tuple[bytes, bytes, bytes]:
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_FILE + 1)
        except FileNotFoundError:
            raise NavError(ErrorName.NOT_FOUND, f"there is no key vault yet; {HOW_TO_UNLOCK} to create one") from None
        except OSError as exc:
            raise damaged(self.path, f"cannot be read: {exc.strerror}") from None
        header, newline, rest = data.partition(b"\n")
        if len(data) > MAX_FILE:
            raise damaged(self.path, f"it is larger than {MAX_FILE} bytes")
        if not newline or len(rest) < NONCE_BYTES + 16:
            raise damaged(self.path, "it is truncated")
        return header, rest[:NONCE_BYTES], rest[NONCE_BYTES:]

    def _write(self, entries: dict[str, str]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        assert self._key is not None and self._header is not None
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = AESGCM(self._key).encrypt(nonce, json.dumps(entries).encode(), self._header)
        write_atomic(self.path, self._header + b"\n" + nonce + ciphertext, mode=0o600)

    def _lock_requested_since(self, when: float) -> bool:
        try:
            return self._lock_stamp.stat().st_mtime >= when
        except FileNotFoundError:
            return False
