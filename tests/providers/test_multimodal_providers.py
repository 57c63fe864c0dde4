"""Images and audio through the OpenAI-compatible and Anthropic providers, against real HTTP servers on
127.0.0.1: the exact content parts each API documents, the formats and sizes refused before anything is
sent, and availability answered from the inputs each entry declares."""

from __future__ import annotations

import base64
import io
import wave

import pytest
from fake_anthropic import MODEL as CLAUDE
from fake_openai import MODEL, FakeOpenAI
from provider_keys import FAST, built, collect

from navllm.protocol.common import Expected, MediaPart, Message, TextPart
from navllm.protocol.errors import ErrorName, NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.anthropic import AnthropicProvider
from navllm.providers.base import Generation
from navllm.providers.openai import OpenAIProvider
from navllm.settings import ProviderConfig

pytestmark = pytest.mark.usefixtures("close_providers")

# A 1×1 PNG, as a page's canvas would encode it.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def wav_base64() -> str:
    """0.1 s of 16 kHz mono 16-bit silence, as the page encodes an AudioBuffer."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 1600)
    return base64.b64encode(out.getvalue()).decode()


def ask(*media: MediaPart) -> Message:
    return Message(role="user", content=[TextPart(value="What is this?"), *media])


def image(data: str = PNG, mime: str = "image/png") -> MediaPart:
    return MediaPart(type="image", mime_type=mime, data=data)


def audio(data: str, mime: str = "audio/wav") -> MediaPart:
    return MediaPart(type="audio", mime_type=mime, data=data)


def openai(server, name: str = "acme", **fields) -> OpenAIProvider:
    return built(OpenAIProvider(ProviderConfig(name=name, kind="openai", base_url=server.base_url, model=MODEL, **fields), retry=FAST))


def anthropic(server, **fields) -> AnthropicProvider:
    config = ProviderConfig(name="claude", kind="anthropic", base_url=server.origin, model=CLAUDE, **fields)
    return built(AnthropicProvider(config, retry=FAST))


async def refused(provider, message: Message) -> NavError:
    with pytest.raises(NavError) as caught:
        await collect(provider, message)
    return caught.value


async def test_openai_gets_images_as_image_url_data_urls_and_audio_as_input_audio():
    wav = wav_base64()
    mp3 = base64.b64encode(b"ID3\x04\0\0\0\0\0\0" + bytes(64)).decode()
    with FakeOpenAI() as server:
        chunks = await collect(openai(server, inputs=["text", "image", "audio"]), ask(image(), audio(wav), audio(mp3, "audio/mpeg")))
        assert chunks[0] == "You said: "
        assert server.generations()[0].body["messages"] == [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                    {"type": "input_audio", "input_audio": {"data": wav, "format": "wav"}},
                    {"type": "input_audio", "input_audio": {"data": mp3, "format": "mp3"}},
                ],
            }
        ]


async def test_anthropic_gets_images_as_base64_image_blocks(anthropic_server, store_key):
    store_key("claude")
    await collect(anthropic(anthropic_server), ask(image(), image(PNG, "image/webp")))
    assert anthropic_server.generations()[0].body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/webp", "data": PNG}},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("inputs", "part", "name", "words"),
    [
        (None, audio(wav_base64()), ErrorName.NOT_SUPPORTED, "is set to take text, image, not audio"),
        (["text"], image(), ErrorName.NOT_SUPPORTED, "--inputs"),
        (["text", "audio"], audio(base64.b64encode(b"OggS" + bytes(60)).decode(), "audio/ogg"), ErrorName.NOT_SUPPORTED, "audio/wav"),
        (None, image(PNG, "image/bmp"), ErrorName.NOT_SUPPORTED, "not image/bmp"),
        (None, image("not base64!"), ErrorName.DATA, "not valid base64"),
        (None, image("A" * (20 * 1024 * 1024 + 4)), ErrorName.QUOTA_EXCEEDED, "per part"),
    ],
    ids=["audio-not-declared", "image-not-declared", "ogg", "bmp", "bad-base64", "too-large"],
)
async def test_openai_refuses_before_sending(inputs, part, name, words):
    with FakeOpenAI() as server:
        error = await refused(openai(server, inputs=inputs), ask(part))
        assert error.name == name and words in error.message, error.message
        assert server.generations() == []


async def test_anthropic_refuses_other_formats_and_bounds_sizes(anthropic_server, store_key):
    store_key("claude")
    provider = anthropic(anthropic_server)
    tiff = await refused(provider, ask(image(PNG, "image/tiff")))
    assert tiff.name == ErrorName.NOT_SUPPORTED and "image/jpeg, image/png, image/gif, image/webp, not image/tiff" in tiff.message
    big = "A" * (5 * 1024 * 1024 + 4)  # Anthropic's 5 MB per image, counted base64
    assert (await refused(provider, ask(image(big)))).name == ErrorName.QUOTA_EXCEEDED
    many = [image("A" * (4 * 1024 * 1024)) for _ in range(8)]  # each fits; 32 MiB together does not
    whole = await refused(provider, ask(*many))
    assert whole.name == ErrorName.QUOTA_EXCEEDED and "in one request" in whole.message
    assert anthropic_server.generations() == []


def test_anthropic_entries_cannot_declare_audio(anthropic_server):
    with pytest.raises(NavError) as caught:
        anthropic(anthropic_server, inputs=["text", "audio"])
    assert caught.value.name == ErrorName.TYPE and "cannot take audio" in caught.value.message


async def test_availability_follows_the_declared_inputs(anthropic_server):
    def expecting(*types: str) -> CoreOptions:
        return CoreOptions(expected_inputs=[Expected(type=t) for t in types])

    with FakeOpenAI() as server:
        default, text_only, hearing = openai(server), openai(server, inputs=["text"]), openai(server, inputs=["image", "audio"])
        assert hearing.inputs == ("text", "image", "audio")
        assert [await p.availability(expecting("image")) for p in (default, text_only, hearing)] == [
            "available",
            "unavailable",
            "available",
        ]
        assert [await p.availability(expecting("audio")) for p in (default, text_only, hearing)] == [
            "unavailable",
            "unavailable",
            "available",
        ]
        assert await text_only.availability(expecting("text", "tool-response")) == "available"
    claude = anthropic(anthropic_server)
    assert await claude.availability(expecting("image")) == "available"
    assert await claude.availability(expecting("audio")) == "unavailable"


async def test_the_chain_passes_an_image_over_providers_that_do_not_read_it():
    """A session's fallback goes past the local model and a text-only entry to one that reads images,
    and with none, the prompt fails with NotSupportedError naming the first, before any request."""
    from navllm.providers.echo import EchoConversation
    from navllm.providers.fallback import FallbackConversation
    from navllm.providers.local.provider import LocalProvider

    with FakeOpenAI() as text_server, FakeOpenAI() as vision_server:
        local, plain, vision = LocalProvider(), openai(text_server, inputs=["text"]), openai(vision_server, "vision")
        assert await local.availability(CoreOptions(expected_inputs=[Expected(type="image")])) == "unavailable"
        # the local model's own conversation would need the model; an echo one stands in: it must not be asked
        chain = FallbackConversation(EchoConversation(0.0), local, [plain, vision], CoreOptions())
        chunks = [c async for c in chain.generate(Generation(messages=[ask(image())]))]
        assert chain.served_by == "vision" and chunks[0] == "You said: "
        assert text_server.generations() == [] and len(vision_server.generations()) == 1

        alone = FallbackConversation(EchoConversation(0.0), local, [plain], CoreOptions())
        with pytest.raises(NavError) as caught:
            [c async for c in alone.generate(Generation(messages=[ask(image())]))]
        assert caught.value.name == ErrorName.NOT_SUPPORTED
        assert "local reads text, not image" in caught.value.message and "acme is set to take text, not image" in caught.value.message
        assert text_server.generations() == []
