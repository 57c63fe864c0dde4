"""``navllm keys set | delete | list | unlock | lock``: API keys in the OS keychain or the vault.

Secrets are read from a hidden prompt in a terminal, or from standard input when piped
(never from the command line, where other users' ``ps`` would see them). With the vault in
use, a piped passphrase comes first and the key on the next line.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from . import Commands

if TYPE_CHECKING:
    from ..secrets.store import KeyStore


def register(commands: Commands) -> None:
    group = commands.add_parser("keys", help="API keys for remote providers (stored in the OS keychain, never shown)")
    sub = group.add_subparsers(dest="action", required=True)
    setter = sub.add_parser("set", help="store the key for a provider (prompted for, or read from stdin)")
    setter.add_argument("provider")
    setter.set_defaults(run=run_set)
    deleter = sub.add_parser("delete", help="forget the key for a provider")
    deleter.add_argument("provider")
    deleter.set_defaults(run=run_delete)
    sub.add_parser("list", help="which providers have a key, where it is kept and since when").set_defaults(run=run_list)
    sub.add_parser("unlock", help="check (or create) the vault passphrase used when no OS keychain is available").set_defaults(
        run=run_unlock
    )
    sub.add_parser("lock", help="make every running host forget the vault key").set_defaults(run=run_lock)


def _read(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _unlock_if_needed(store: KeyStore) -> None:
    from ..secrets.store import VAULT

    if store.where_new_keys_go() == VAULT and not store.vault.unlocked:
        if not store.vault.exists():
            print("No OS keychain is available: keys go to navllm's encrypted vault, which needs a passphrase.", file=sys.stderr)
        store.vault.unlock(_read("Vault passphrase: "))


def run_set(args: argparse.Namespace) -> int:
    from ..secrets.store import keystore

    store = keystore()
    _unlock_if_needed(store)
    status = store.set(args.provider, _read(f"Key for {args.provider}: "))
    print(f"stored the key for {args.provider} in the {status['backend']}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from ..secrets.store import keystore

    store = keystore()
    if store.status(args.provider)["backend"] == "vault" and not store.vault.unlocked:
        store.vault.unlock(_read("Vault passphrase: "))
    if not store.delete(args.provider):
        print(f"no key was stored for {args.provider}", file=sys.stderr)
        return 1
    print(f"deleted the key for {args.provider}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ..secrets.store import keystore

    store = keystore()
    rows = store.list()
    if not rows:
        print(f"no keys stored; new keys go to the {store.where_new_keys_go()}")
        return 0
    width = max(len(r["provider"]) for r in rows)
    for row in rows:
        print(f"{row['provider']:<{width}}  {row['backend']:<16}  set {row['setAt']}")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    from ..protocol.errors import ErrorName, NavError
    from ..secrets.store import keystore

    vault = keystore().vault
    creating = not vault.exists()
    passphrase = _read("New vault passphrase: " if creating else "Vault passphrase: ")
    if creating and sys.stdin.isatty() and _read("Repeat the passphrase: ") != passphrase:
        raise NavError(ErrorName.TYPE, "the passphrases differ; nothing was created")
    vault.unlock(passphrase)
    print(
        "created the vault" if creating else "the passphrase is correct", "- running hosts unlock it when you enter it in navllm's settings"
    )
    return 0


def run_lock(args: argparse.Namespace) -> int:
    from ..secrets.store import keystore

    keystore().vault.request_lock()
    print("running hosts will forget the vault key before their next use of it")
    return 0
