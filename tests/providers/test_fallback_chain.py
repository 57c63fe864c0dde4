"""The router and the fallback chain in process, against two real local servers that need no key."""

from __future__ import annotations

import pytest
from fake_http import Script, status
from fake_openai import MODEL, FakeOpenAI, text_stream
from provider_keys import built

from navllm.protocol.common import text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions, ModelChoice
from navllm.providers.base import Generation
from navllm.providers.router import Router
from navllm.settings import ProviderConfig, Settings

pytestmark = pytest.mark.usefixtures("close_providers")


@pytest.fixture
def chain():
    with FakeOpenAI() as first, FakeOpenAI() as second:
        settings = Settings(
            providers=[
                ProviderConfig(name="first", kind="openai", base_url=first.base_url, model=MODEL, timeout=1),
                ProviderConfig(name="off", kind="openai", preset="groq", enabled=False),
                ProviderConfig(name="second", kind="openai", base_url=second.base_url, model=MODEL),
            ]
        )
        router = Router(lambda: settings)
        for provider in router.chain():
            built(provider)
        yield router, first, second


async def reply(conversation) -> str:
    return "".join([c async for c in conversation.generate(Generation(messages=[text_message("user", "hi")])) if isinstance(c, str)])


async def test_candidates_follow_the_users_order_with_the_asked_provider_first(chain):
    router, _, _ = chain
    assert [p.name for p in router.candidates(None)] == ["first", "second"]
    assert [p.name for p in router.candidates(ModelChoice(provider="second"))] == ["second", "first"]
    assert [p.name for p in router.candidates(ModelChoice(provider="off"))] == ["first", "second"]  # disabled: down the chain
    assert [p.name for p in router.candidates(ModelChoice(provider="nowhere"))] == ["first", "second"]


async def test_an_entry_that_cannot_be_built_is_skipped(chain):
    _, first, _ = chain
    settings = Settings(
        providers=[
            ProviderConfig(name="broken", kind="openai", base_url="not a url"),  # as if settings.json were edited by hand
            ProviderConfig(name="first", kind="openai", base_url=first.base_url, model=MODEL),
        ]
    )
    assert [p.name for p in Router(lambda: settings).chain()] == ["first"]


async def test_the_next_provider_answers_only_when_the_first_fails_before_a_token(chain):
    router, first, second = chain
    conversation, opened_on = await router.open(router.candidates(None), CoreOptions(), lambda _: None)
    assert opened_on.name == "first"
    assert await reply(conversation) == "You said: hi" and conversation.served_by == "first"
    assert second.requests == []  # the backup is not even contacted while the first works

    first.then(status(401, {"error": {"message": "bad key"}}))
    assert await reply(conversation) == "You said: hi" and conversation.served_by == "second"
    assert await reply(conversation) == "You said: hi" and conversation.served_by == "first"  # every prompt starts at the top

    first.then(Script(events=text_stream(["a ", "b"]), drop_after=2))
    with pytest.raises(NavError) as caught:
        await reply(conversation)
    assert caught.value.name == "NetworkError" and len(second.generations()) == 1

    copy = conversation.clone()
    first.then(Script(events=text_stream(["late"]), first_byte_delay=2))
    assert await reply(copy) == "You said: hi" and copy.served_by == "second"


async def test_a_provider_that_cannot_open_is_skipped_and_a_page_model_goes_only_to_its_provider(chain):
    router, first, second = chain
    groq = router.build(ProviderConfig(name="groq", kind="openai", preset="groq"))  # no key stored
    options = CoreOptions(provider="second", model="asked-model")
    conversation, opened_on = await router.open([groq, *router.candidates(options)], options, lambda _: None)
    assert opened_on.name == "second" and conversation.model == "asked-model"
    second.then(
        status(500, {"error": {"message": "down"}}),
        status(500, {"error": {"message": "down"}}),
        status(500, {"error": {"message": "down"}}),
    )
    await reply(conversation)
    assert conversation.served_by == "first" and first.generations()[-1].body["model"] == MODEL
    assert second.generations()[-1].body["model"] == "asked-model"
