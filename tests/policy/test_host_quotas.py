"""Quotas through the real host: a flood is throttled per origin (T15), budgets survive restarts."""

from __future__ import annotations

from policy_host import SAY_HI, SITE, kind

from tests.support.host_process import PAGE

OTHER = {**PAGE, "origin": "https://other.example", "tabId": 7}


def test_a_flood_from_one_origin_is_throttled_without_affecting_another(host):
    host.admin("quotas.set", scope="site", origin=SITE, requestsPerMinute=5, dailyTokens=None)
    host.decide("always")
    host.decide("always", OTHER)

    # Every tab of the origin shares its bucket.
    rids = [host.proc.request("create", {**PAGE, "tabId": 1 + i % 3}) for i in range(20)]
    replies = [host.proc.until_done(rid)[-1] for rid in rids]
    outcomes = [kind(r) for r in replies]
    assert outcomes.count("done") == 5, outcomes
    refused = [r for r in replies if kind(r) == "QuotaExceededError"]
    assert len(refused) == 15
    assert all(0 < r["error"]["details"]["retryAfter"] <= 12 for r in refused)
    assert "5 a minute" in refused[0]["error"]["message"]

    assert [kind(host.create(OTHER)) for _ in range(10)] == ["done"] * 10

    host.restart()  # a new host process starts where the last left off
    assert kind(host.create()) == "QuotaExceededError"
    assert kind(host.create(OTHER)) == "done"


def test_daily_token_budget_is_charged_and_survives_restart(host):
    host.admin("quotas.set", scope="site", origin=SITE, requestsPerMinute=None, dailyTokens=50)
    assert host.admin("quotas.set", scope="site", origin=SITE, dailyTokens=50) == {"requestsPerMinute": None, "dailyTokens": 50}
    host.decide("always")
    session = host.create()["data"]["session"]
    assert kind(host.call("prompt", PAGE, session=session, input=SAY_HI)) == "done"  # crosses the budget

    reply = host.call("prompt", PAGE, session=session, input=SAY_HI)
    assert kind(reply) == "QuotaExceededError"
    assert reply["error"]["details"]["quota"] == 50
    assert 0 < reply["error"]["details"]["retryAfter"] <= 86400

    quotas = host.admin("quotas.get")
    assert quotas["sites"][SITE]["usedToday"] > 50
    assert quotas["overall"]["usedToday"] == quotas["sites"][SITE]["usedToday"]

    host.admin("usage.clear")  # clearing the log is no way to reset a budget
    host.restart()
    assert kind(host.create()) == "QuotaExceededError"

    host.admin("quotas.set", scope="site", origin=SITE, reset=True)
    assert kind(host.create()) == "done"


def test_overall_budget_covers_every_origin(host):
    host.admin("quotas.set", scope="overall", dailyTokens=10)
    host.decide("always")
    host.decide("always", OTHER)
    session = host.create()["data"]["session"]
    assert kind(host.call("prompt", PAGE, session=session, input=SAY_HI)) == "done"
    reply = host.create(OTHER)
    assert kind(reply) == "QuotaExceededError"
    assert "overall" in reply["error"]["message"]


def test_quota_settings_are_validated(host):
    for fields in (
        {"scope": "site", "requestsPerMinute": 5},
        {"scope": "default", "origin": SITE},
        {"scope": "overall", "requestsPerMinute": 5},
        {"scope": "site", "origin": SITE, "requestsPerMinute": 0},
        {"scope": "site", "origin": "file://", "requestsPerMinute": 5},
    ):
        reply = host.call("quotas.set", {"kind": "extension", "origin": "chrome-extension://test/"}, **fields)
        assert reply["type"] == "error", fields
    assert host.admin("quotas.get")["sites"] == {}
    assert host.admin("quotas.set", scope="default", dailyTokens=7) == {"requestsPerMinute": 600, "dailyTokens": 7}  # left out: kept
    assert host.admin("quotas.set", scope="default", requestsPerMinute=None) == {"requestsPerMinute": None, "dailyTokens": 7}
