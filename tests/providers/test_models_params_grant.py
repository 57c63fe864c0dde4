"""``models`` and ``params`` follow the caller's grant, over the real host: a page never allowed a
provider learns no provider names, no remote model list and no provider's limits, and its call
makes no request to a remote ``/models``; once allowed, it sees what it was allowed; extension
pages see everything."""

from __future__ import annotations

import json

from fake_openai import MODEL, FakeOpenAI

from tests.support.host_process import ADMIN, PAGE, HostProcess

OTHER_TAB = {**PAGE, "tabId": 2, "documentId": "doc-2"}
GENERIC = {"defaultTopK": 3, "maxTopK": 128, "defaultTemperature": 1.0, "maxTemperature": 2.0}


def listings(server: FakeOpenAI) -> int:
    return sum(1 for r in server.requests if r.method == "GET" and r.path.endswith("/models"))


def test_models_and_params_follow_the_grant(navllm_home):
    with FakeOpenAI() as server:
        config = navllm_home / "config"
        config.mkdir(parents=True, exist_ok=True)
        providers = [{"name": "local", "kind": "local"}, {"name": "work", "kind": "openai", "baseUrl": server.base_url}]
        (config / "settings.json").write_text(json.dumps({"providers": providers}))
        host = HostProcess(navllm_home)
        try:

            def data(type_: str, caller: dict, **fields):
                reply = host.call(type_, caller, **fields)
                assert reply["type"] == "done", reply
                return reply.get("data")

            # never asked: nothing to list, the spec's generic limits (not the on-device model's), no remote call
            assert data("models", PAGE) == []
            assert data("params", PAGE) == GENERIC
            assert data("params", PAGE, options={"provider": "work"}) == GENERIC
            assert data("models", {**PAGE, "origin": "http://plain.example"}) == []
            assert listings(server) == 0

            # allowed the remote provider only: its models, and only now is its endpoint asked
            data("grants.set", ADMIN, origin=PAGE["origin"], state="granted", providers=["work"])
            assert data("models", PAGE) == [{"provider": "work", "model": MODEL, "kind": "chat"}]
            assert listings(server) == 1
            assert data("params", PAGE) == GENERIC  # the remote provider's own limits

            # allowed on-device use too: the local provider leads the chain, its limits apply
            data("grants.set", ADMIN, origin=PAGE["origin"], state="granted", providers=["local", "work"])
            assert data("params", PAGE)["defaultTemperature"] == 0.7

            # "allow once" covers its own document only
            once = {**OTHER_TAB, "origin": "https://once.example"}
            data(
                "permission.decide",
                ADMIN,
                origin=once["origin"],
                tabId=once["tabId"],
                documentId=once["documentId"],
                decision="once",
                providers=["work"],
            )
            assert [m["provider"] for m in data("models", once)] == ["work"]
            assert data("models", {**once, "documentId": "doc-3"}) == []

            # denied: nothing again
            data("grants.set", ADMIN, origin=PAGE["origin"], state="denied")
            assert data("models", PAGE) == [] and data("params", PAGE) == GENERIC

            # extension pages see every provider
            assert {m["provider"] for m in data("models", ADMIN)} == {"work"}  # no local model installed here
            assert data("params", ADMIN)["defaultTemperature"] == 0.7
            assert listings(server) == 1  # the list is cached per process
        finally:
            host.close()
