"""In real Chromium and Firefox: a key set from an extension page goes to a real Secret Service, a page's prompt
streams from the fake OpenAI server, and the next provider answers when that one fails."""

from __future__ import annotations

import json

import pytest
from fake_http import status
from fake_openai import MODEL, FakeOpenAI
from provider_keys import KEY

from tests.support.browsers import ADMIN_PAGE, Chromium, Firefox
from tests.support.secret_service import running_secret_service, skip_without_tools

pytestmark = pytest.mark.browser

BACKUP_KEY = "sk-bk-Wm5Tz8Qa1Ks4Dx7Fc2Vb"
STREAM = """
const session = await navigator.llm.createSession();
const pieces = [];
for await (const piece of session.generateStreaming({ prompt: ARGS[0] })) pieces.push(piece);
return pieces.join("");
"""


@pytest.fixture(scope="module")
def servers():
    with FakeOpenAI(key=KEY) as primary, FakeOpenAI(key=BACKUP_KEY) as backup:
        yield primary, backup


@pytest.fixture(scope="module", params=[Chromium, Firefox], ids=["chromium", "firefox"])
def browser_with_keychain(request, tmp_path_factory):
    """The browser (and so the host it starts) on a private session bus with an unlocked keyring."""
    skip_without_tools()
    with running_secret_service(tmp_path_factory.mktemp("bus")) as address, pytest.MonkeyPatch.context() as env:
        env.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        env.delenv("PYTHON_KEYRING_BACKEND", raising=False)
        browser = request.param(tmp_path_factory.mktemp(request.param.__name__.lower()))
        try:
            yield browser
        finally:
            browser.close()


def test_key_from_the_extension_streams_a_page_prompt_and_the_chain_falls_back(browser_with_keychain, servers, site):
    browser, (primary, backup) = browser_with_keychain, servers
    browser.admin(
        "providers.add", provider={"name": "primary", "kind": "openai", "preset": "openai", "baseUrl": primary.base_url, "model": MODEL}
    )
    browser.admin("providers.add", provider={"name": "backup", "kind": "openai", "baseUrl": backup.base_url, "model": MODEL})
    replies = [
        browser.admin("keys.set", provider="primary", secret=KEY),
        browser.admin("keys.set", provider="backup", secret=BACKUP_KEY),
        browser.admin("keys.status"),
        browser.admin("providers.list"),
    ]
    assert replies[0]["backend"] == "secret-service"
    browser.admin("grants.set", origin=site.origin(), state="granted", providers=["primary", "backup"])

    tab = browser.tab(site.url())
    assert tab.run(STREAM, "hello") == "You said: hello"
    assert primary.generations()[-1].headers["authorization"] == f"Bearer {KEY}"

    primary.then(*[status(503, {"error": {"message": "overloaded"}})] * 3)
    assert tab.run(STREAM, "again") == "You said: again"
    assert backup.generations()[-1].headers["authorization"] == f"Bearer {BACKUP_KEY}"

    # the keys live in the keychain only: not in any reply, nor in the extension's storage
    storage = browser.tab(f"{browser.extension_origin}/{ADMIN_PAGE}").run(
        "return [await chrome.storage.local.get(null), await chrome.storage.session.get(null), await chrome.storage.sync.get(null)];"
    )
    for seen in (json.dumps(replies), json.dumps(storage)):
        assert KEY not in seen and BACKUP_KEY not in seen
