"""Concurrent vault unlocks (a double-click in settings) all finish: two Argon2id derivations at
once hang forever in cryptography 50 / OpenSSL 4, so the vault runs them one at a time."""

from __future__ import annotations

import threading
import time

from damage import PASSPHRASE, Host

from navllm.secrets.vault import Vault
from tests.support.host_process import ADMIN

DEADLINE = 60


def test_many_threads_unlock_at_once():
    Vault().unlock(PASSPHRASE)  # create it
    shared = Vault()
    vaults = [shared] * 4 + [Vault() for _ in range(6)]
    errors: list[BaseException] = []

    def unlock(vault: Vault) -> None:
        try:
            vault.unlock(PASSPHRASE)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=unlock, args=(v,), daemon=True) for v in vaults]
    for t in threads:
        t.start()
    ends = time.monotonic() + DEADLINE
    for t in threads:
        t.join(max(0, ends - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "unlocks hung"
    assert errors == [] and all(v.unlocked for v in vaults)


def test_two_unlock_requests_at_once_over_the_host(navllm_home):
    host = Host(navllm_home)
    first = host.proc.request("vault.unlock", ADMIN, passphrase=PASSPHRASE)  # the first also creates the vault
    second = host.proc.request("vault.unlock", ADMIN, passphrase=PASSPHRASE)
    replies: dict[str, dict] = {}

    def read() -> None:
        while len(replies) < 2:
            reply = host.proc.read()
            if reply["id"] in (first, second):
                replies[reply["id"]] = reply

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(DEADLINE)
    try:
        assert not reader.is_alive(), f"only {list(replies)} answered"
        assert [replies[r]["type"] for r in (first, second)] == ["done", "done"], replies
        assert all(replies[r]["data"]["unlocked"] for r in (first, second))
    finally:
        assert host.proc.close(timeout=5) == 0  # and the host exits once its input closes
