"""The permission rules, end to end through the real host process (threat model T3–T6, T10, T17, T18)."""

from __future__ import annotations

from policy_host import SAY_HI, SITE, kind

from navllm.protocol.admin import grants, status, usage
from tests.support.host_process import ADMIN, PAGE

TAB2 = {**PAGE, "tabId": 2}


def test_first_call_asks_and_always_survives_restart(host):
    ask = host.create()
    assert ask["type"] == "permission_required"
    assert ask["ask"] == {
        "origin": SITE,
        "site": "example.com",
        "incognito": False,
        "providers": ["echo"],
        "remote": False,
        "remoteProviders": [],
    }

    host.decide("always")
    assert kind(host.create()) == "done"
    assert kind(host.create(TAB2)) == "done"  # every tab of the site
    host.restart()
    assert kind(host.create()) == "done"


def test_allow_once_lives_as_long_as_the_document(host):
    doc = {**PAGE, "documentId": "DOC-A"}
    assert kind(host.create(doc)) == "permission_required"
    host.decide("once", doc)
    assert kind(host.create(doc)) == "done"
    assert kind(host.create({**doc, "frameId": 3, "documentId": "DOC-B"})) == "permission_required"  # another document
    assert kind(host.create(TAB2)) == "permission_required"  # another tab

    host.admin("tab.navigated", tabId=PAGE["tabId"])
    assert kind(host.create(doc)) == "permission_required"

    host.decide("once", doc)
    host.admin("tab.closed", tabId=PAGE["tabId"])
    assert kind(host.create(doc)) == "permission_required"

    host.decide("once", doc)
    host.restart()  # kept in memory only
    assert kind(host.create(doc)) == "permission_required"


def test_deny_refuses_without_asking_across_restarts(host):
    host.decide("deny")
    reply = host.create()
    assert kind(reply) == "NotAllowedError"
    assert "denied" in reply["error"]["message"]
    host.restart()
    assert kind(host.create(TAB2)) == "NotAllowedError"


def test_revoking_takes_effect_on_the_next_call(host):
    host.decide("always")
    session = host.create()["data"]["session"]
    assert kind(host.call("prompt", PAGE, session=session, input=SAY_HI)) == "done"

    assert host.admin("grants.revoke", origin=SITE) == {"revoked": 1}
    assert kind(host.call("prompt", PAGE, session=session, input=SAY_HI)) == "permission_required"
    assert kind(host.create()) == "permission_required"


def test_three_dismissals_embargo_until_lifted(host):
    for n in range(3):
        assert kind(host.create()) == "permission_required", n
        result = host.decide("dismiss")
    assert result["state"] == "embargoed"
    reply = host.create()
    assert kind(reply) == "NotAllowedError"
    assert reply["error"]["details"]["embargoedUntil"] > 0
    listed = host.admin("grants.list")["embargoes"]
    assert [e["origin"] for e in listed] == [SITE]
    host.restart()
    assert kind(host.create()) == "NotAllowedError"

    assert host.admin("grants.lift", origin=SITE) == {"lifted": 1}
    assert kind(host.create()) == "permission_required"


INELIGIBLE = [
    "null",
    "file://",
    "data:text/html,hi",
    "http://example.com",
    "chrome-extension://abc",
    "ftp://example.com",
    "https://",
    "javascript:alert(1)",
]


def test_ineligible_origins_are_refused_without_a_prompt(host):
    for origin in INELIGIBLE:
        caller = {**PAGE, "origin": origin}
        assert kind(host.call("create", caller)) == "NotAllowedError", origin
        assert kind(host.call("availability", caller)) == "NotAllowedError", origin
        assert host.call("models", caller)["data"] == [], origin


def test_sandboxed_frame_never_inherits_the_parents_grant(host):
    host.decide("always")
    sandboxed = {**PAGE, "origin": "null", "topOrigin": SITE, "frameId": 6}
    assert kind(host.create(sandboxed)) == "NotAllowedError"


def test_cross_origin_frame_needs_delegation_then_the_ask_names_both(host):
    host.decide("always")  # the top-level site's own grant does not extend to frames it embeds
    frame = {**PAGE, "origin": "https://widget.example", "topOrigin": SITE, "frameId": 5}
    reply = host.create(frame)
    assert kind(reply) == "NotAllowedError"
    assert "widget.example" in reply["error"]["message"]

    host.admin("grants.delegate", topOrigin=SITE, frameOrigin="https://widget.example")
    ask = host.create(frame)
    assert ask["type"] == "permission_required"
    assert ask["ask"]["origin"] == "https://widget.example" and ask["ask"]["topOrigin"] == SITE

    host.decide("always", frame)
    assert kind(host.create(frame)) == "done"
    # The frame's grant is for that embedding only: on its own, or inside another site, it asks again.
    assert kind(host.create({**PAGE, "origin": "https://widget.example"})) == "permission_required"
    host.admin("grants.delegate", topOrigin="https://other.example", frameOrigin="https://widget.example")
    assert kind(host.create({**frame, "topOrigin": "https://other.example"})) == "permission_required"


def test_same_origin_frame_shares_the_grant(host):
    host.decide("always")
    assert kind(host.create({**PAGE, "topOrigin": SITE, "frameId": 4})) == "done"


def test_grants_match_scheme_host_and_port_exactly(host):
    host.decide("always")
    for other in [
        "http://example.com",
        "https://sub.example.com",
        "https://example.com:8443",
        "https://example.co",
        "https://examplE.com.evil",
    ]:
        assert kind(host.create({**PAGE, "origin": other})) in ("permission_required", "NotAllowedError"), other
    assert kind(host.create({**PAGE, "origin": "https://EXAMPLE.com:443"})) == "done"  # same origin, spelled differently


def test_incognito_decisions_are_kept_apart_and_in_memory(host):
    host.decide("always")
    private = {**PAGE, "incognito": True}
    assert kind(host.create(private)) == "permission_required"  # a normal grant does not apply

    host.decide("always", private)
    assert kind(host.create(private)) == "done"
    assert host.admin("grants.list", incognito=True)["grants"][0]["origin"] == SITE
    host.admin("incognito.ended")
    assert kind(host.create(private)) == "permission_required"

    host.decide("deny", private)
    assert kind(host.create()) == "done"  # a private denial leaves the normal grant alone
    host.restart()
    assert kind(host.create(private)) == "permission_required"
    assert b"incognito" not in (host.home / "data" / "navllm.db").read_bytes()


def _admin_examples() -> list[dict]:
    fields = {
        "origin": SITE,
        "topOrigin": SITE,
        "frameOrigin": SITE,
        "decision": "always",
        "state": "granted",
        "tabId": 1,
        "values": {"echoEnabled": False},
        "scope": "default",
    }
    examples = []
    for cls in (*grants.MESSAGES, *usage.MESSAGES, *status.MESSAGES):
        required = {f.alias or name for name, f in cls.model_fields.items() if f.is_required() and name not in ("id", "caller")}
        if "scope" in cls.model_fields:
            required.add("scope")
        examples.append({"type": cls.model_fields["type"].default, **{k: fields[k] for k in required}})
    return examples


def test_pages_cannot_make_admin_requests(host):
    for message in _admin_examples():
        fields = dict(message)
        reply = host.call(fields.pop("type"), PAGE, **fields)
        assert kind(reply) == "NotAllowedError", message
    assert kind(host.create()) == "permission_required"  # nothing changed
    assert host.admin("grants.list")["grants"] == []


def test_admin_rejects_bad_input_and_changes_nothing(host):
    for fields in (
        {"origin": "not an origin", "decision": "always"},
        {"origin": "file://", "decision": "always"},
        {"origin": "https://a.example/path", "decision": "always"},
        {"origin": SITE, "decision": "forever"},
        {"origin": SITE, "decision": "always", "providers": ["x" * 65]},
    ):
        reply = host.call("permission.decide", ADMIN, **fields)
        assert reply["type"] == "error", fields
        assert reply["error"]["name"] in ("TypeError", "SyntaxError", "NotAllowedError")
    assert host.admin("grants.list")["grants"] == []
