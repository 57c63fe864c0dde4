"""Consent scopes and expiry, in process: remote providers only when named, grants that expire."""

from __future__ import annotations

import pytest

from navllm.policy import PermissionNeeded
from navllm.policy.gate import PolicyGate, consent_scope
from navllm.protocol.common import Caller
from navllm.protocol.errors import NavError
from navllm.providers.router import Router
from navllm.settings import ProviderConfig, Settings

SITE = "https://example.com"
SETTINGS = Settings(
    echo_enabled=True,
    providers=[ProviderConfig(name="cloud", kind="openai", base_url="http://127.0.0.1:9/v1", model="m")],
)
PAGE = Caller(kind="page", origin=SITE, tab_id=1)


@pytest.fixture
def setup(tmp_path):
    clock = [1_800_000_000.0]
    gate = PolicyGate(lambda: SETTINGS, clock=lambda: clock[0], path=tmp_path / "p.db")
    router = Router(lambda: SETTINGS)
    return gate, router, clock


def _decide(gate, router, decision, names, expires_at=None):
    return gate.decide(
        origin=SITE,
        top_origin=SITE,
        incognito=False,
        tab_id=1,
        document_id=None,
        decision=decision,
        providers=consent_scope(names, router.chain()),
        expires_at=expires_at,
    )


async def test_remote_providers_need_consent_naming_them(setup):
    gate, router, _ = setup
    chain = router.chain()
    assert [(p.name, p.remote) for p in chain] == [("echo", False), ("cloud", True)]
    with pytest.raises(PermissionNeeded) as asked:
        await gate.admit(PAGE, "create", chain)
    assert asked.value.ask.remote is True and asked.value.ask.providers == ["echo", "cloud"]
    assert asked.value.ask.remote_providers == ["cloud"]

    _decide(gate, router, "always", ["echo"])  # on-device consent only
    assert [p.name for p in await gate.admit(PAGE, "create", chain)] == ["echo"]
    with pytest.raises(PermissionNeeded):
        await gate.admit(PAGE, "create", router.by_name(["cloud"]))  # data would leave: ask, naming it

    _decide(gate, router, "always", ["cloud"])  # adds to the scope
    assert [p.name for p in await gate.admit(PAGE, "create", router.candidates(None))] == ["echo", "cloud"]
    assert gate.persistent.grants.get(SITE, SITE, 0).providers == ("cloud", "local")


async def test_a_grant_with_an_expiry_asks_again_after_it(setup):
    gate, router, clock = setup
    _decide(gate, router, "always", ["echo"], expires_at=clock[0] + 60)
    assert await gate.admit(PAGE, "create", router.by_name(["echo"]))
    clock[0] += 61
    with pytest.raises(PermissionNeeded):
        await gate.admit(PAGE, "create", router.by_name(["echo"]))


async def test_embargo_ends_after_seven_days(setup):
    gate, router, clock = setup
    for _ in range(3):
        _decide(gate, router, "dismiss", [])
    with pytest.raises(NavError) as refused:
        await gate.admit(PAGE, "create", router.by_name(["echo"]))
    assert refused.value.name == "NotAllowedError"
    clock[0] += 7 * 86400 + 1
    with pytest.raises(PermissionNeeded):
        await gate.admit(PAGE, "create", router.by_name(["echo"]))


async def test_a_decision_in_between_resets_the_dismissal_count(setup):
    gate, router, _ = setup
    _decide(gate, router, "dismiss", [])
    _decide(gate, router, "dismiss", [])
    _decide(gate, router, "once", ["echo"])
    assert _decide(gate, router, "dismiss", [])["state"] == "prompt"


def test_extension_pages_are_not_asked(setup):
    gate, _, _ = setup
    admin = Caller(kind="extension", origin="chrome-extension://abc")
    assert gate.eligible(admin)
