"""The key store on a real Secret Service, refused backends falling back to the vault, and log redaction."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from navllm.paths import config_dir
from navllm.protocol.errors import NavError
from navllm.secrets import backends, redact
from navllm.secrets.store import SERVICE, KeyStore

SECRET = "sk-proj-REALSECRET-abcdef0123456789"
PASSPHRASE = "vault passphrase for tests"


def secret_service_items() -> dict[str, str]:
    """Read the Secret Service directly (not through our code): label → secret."""
    import secretstorage

    with secretstorage.dbus_init() as bus:
        collection = secretstorage.get_default_collection(bus)
        return {
            item.get_attributes().get("username", ""): item.get_secret().decode()
            for item in collection.get_all_items()
            if item.get_attributes().get("service") == SERVICE
        }


def test_keys_go_to_the_secret_service_and_status_never_carries_them(secret_service):
    store = KeyStore()
    assert store.where_new_keys_go() == "secret-service"
    status = store.set("openai", SECRET)
    assert status["present"] and status["backend"] == "secret-service" and status["setAt"]
    assert secret_service_items() == {"openai": SECRET}
    assert SECRET not in json.dumps(store.list()) and SECRET not in json.dumps(store.status("openai"))
    assert SECRET not in (config_dir() / "keys.json").read_text()

    assert KeyStore().provider_secret("openai") == SECRET  # a fresh process reads it back from the keychain
    assert store.delete("openai") is True
    assert secret_service_items() == {}
    assert store.status("openai") == {"provider": "openai", "present": False, "backend": None, "setAt": None}
    assert store.provider_secret("openai") is None


def test_the_secret_is_read_once_per_process(secret_service):
    store = KeyStore()
    store.set("groq", SECRET)
    reader = KeyStore()
    assert reader.provider_secret("groq") == SECRET
    import secretstorage

    with secretstorage.dbus_init() as bus:  # change it behind the store's back
        for item in secretstorage.get_default_collection(bus).get_all_items():
            item.set_secret(b"changed-elsewhere")
    assert reader.provider_secret("groq") == SECRET


def test_a_locked_keychain_falls_back_to_the_vault(secret_service):
    import secretstorage

    with secretstorage.dbus_init() as bus:
        secretstorage.get_default_collection(bus).lock()
    store = KeyStore()
    with pytest.raises(NavError) as caught:
        store.set("openai", SECRET)  # the vault is locked too: say how to unlock it
    assert caught.value.name == "InvalidStateError" and "navllm keys unlock" in caught.value.message
    store.vault.unlock(PASSPHRASE)
    assert store.set("openai", SECRET)["backend"] == "vault"
    assert SECRET.encode() not in store.vault.path.read_bytes()


@pytest.mark.parametrize(
    "forced",
    [
        "keyrings.alt.file.PlaintextKeyring",
        "keyrings.cryptfile.cryptfile.CryptFileKeyring",
        "keyring.backends.null.Keyring",
        "keyring.backends.fail.Keyring",
    ],
)
def test_untrusted_backends_are_refused_even_when_forced(secret_service, monkeypatch, forced, caplog):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", forced)
    store = KeyStore()
    with caplog.at_level(logging.WARNING):
        assert store.where_new_keys_go() == "vault"
    assert f"refusing keyring backend {forced}" in caplog.text
    store.vault.unlock(PASSPHRASE)
    assert store.set("openai", SECRET)["backend"] == "vault"
    assert secret_service_items() == {}
    assert KeyStore().vault.exists()


def test_the_keyring_config_file_is_checked_too(secret_service, tmp_path):
    config = Path(tmp_path / "xdg-config" / "python_keyring")
    config.mkdir(parents=True)
    (config / "keyringrc.cfg").write_text("[backend]\ndefault-keyring = keyrings.alt.file.PlaintextKeyring\n")
    assert backends.configured_backend_name() == "keyrings.alt.file.PlaintextKeyring"
    assert KeyStore().where_new_keys_go() == "vault"


def test_a_chainer_is_trusted_only_when_an_os_keychain_leads_it(secret_service, monkeypatch):
    from keyring.backends import SecretService, chainer, fail

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backends.CHAINER)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [fail.Keyring(), SecretService.Keyring()])
    assert backends.os_keychain() is None
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [SecretService.Keyring(), fail.Keyring()])
    assert backends.qualified_name(backends.os_keychain()) == backends.SECRET_SERVICE
    assert not backends.is_trusted(fail.Keyring) and backends.is_trusted(SecretService.Keyring)


def test_no_session_bus_means_the_vault_and_a_locked_vault_refuses_deletes():
    store = KeyStore()
    assert store.where_new_keys_go() == "vault"
    store.vault.unlock(PASSPHRASE)
    store.set("mistral", SECRET)
    store.vault.lock()
    with pytest.raises(NavError) as caught:
        store.delete("mistral")
    assert caught.value.name == "InvalidStateError"
    assert store.status("mistral")["present"] is True
    store.vault.unlock(PASSPHRASE)
    assert store.delete("mistral") is True and store.vault.get("mistral") is None


def test_bad_names_and_secrets_are_refused_and_nothing_is_stored():
    store = KeyStore()
    for name, secret in (("Bad Name", "sk-x"), ("ok", ""), ("ok", "two\nlines"), ("ok", "x" * 9000)):
        with pytest.raises(NavError) as caught:
            store.set(name, secret)
        assert caught.value.name == "TypeError"
    assert store.list() == []


def test_log_lines_and_tracebacks_are_scrubbed(tmp_path):
    path = tmp_path / "host.log"
    handler = logging.FileHandler(path)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        redact._install_log_filter()
        redact.remember(SECRET)
        logging.getLogger("navllm.test").warning("request with %s failed", SECRET)
        try:
            raise RuntimeError(f"server said: Incorrect API key provided: {SECRET[:10]}***{SECRET[-4:]}")
        except RuntimeError:
            logging.getLogger("navllm.test").exception("provider error")
    finally:
        root.removeHandler(handler)
        handler.close()
    text = path.read_text()
    assert "provider error" in text and "[redacted]" in text
    assert SECRET not in text and SECRET[:10] not in text
