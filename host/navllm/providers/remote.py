"""What every remote provider shares: the key, retries, error mapping and token estimates.

Retries are ours, not the SDKs' (clients are built with ``max_retries=0``), so the policy
is visible and testable: only failures before the first streamed byte are retried, only
429/408/409/5xx, with exponential backoff or the server's ``Retry-After`` when it gives one.
Every request is bounded (``Limits``): a deadline for the whole of it, a cap on the reply's
text and tool-call arguments, and (``bounded.py``) a cap on the bytes of one event or body.
A failure is mapped to a DOMException name with a message of our own words: a server's
text is passed on only after scrubbing anything that looks like part of the key.
Images and audio are checked before anything is sent (``MediaRules``): the input types the
entry declares, the MIME types the API documents, and bytes per part and per request.
"""

from __future__ import annotations

import asyncio
import binascii
import email.utils
import json
import logging
import math
import random
import time
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

from ..protocol.common import Availability, Constraint, MediaPart, Message, TextPart, ToolCallPart, ToolResponsePart, ToolSpec
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions
from ..secrets import redact
from ..settings import ProviderConfig
from .base import Chunk, Conversation, Generation, ProgressCallback, Provider, check_expected
from .presets import KIND_INPUTS, LOCAL_CONTEXT, Preset, is_local, preset_for

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger(__name__)

RETRYABLE = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
# Words servers use when the prompt exceeds the model's context window.
CONTEXT_WORDS = ("context length", "context_length", "context window", "too long", "too many tokens", "maximum context")
# Token estimate when the provider offers no counting: a documented rule of thumb for English.
CHARS_PER_TOKEN = 4
MEDIA_TOKENS = 256
MESSAGE_OVERHEAD = 4
# Sent as the key to servers that need none, since the SDKs insist on one.
NO_KEY = "no-key-needed"
# Model ids kept from a listing: a paginated list could otherwise go on forever.
MAX_MODELS = 2000


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A Retry-After longer than this is passed to the page (retryAfter) instead of waited out.
    max_wait: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(self.max_delay, self.base_delay * 2.0**attempt) * random.uniform(0.5, 1.0)


class StatusError(Protocol):
    """What an SDK's HTTP status exception carries (its class is also an Exception)."""

    status_code: int
    response: httpx2.Response


@dataclass(frozen=True)
class SdkErrors:
    """The exception classes of one SDK (openai and anthropic name theirs alike)."""

    status: type[StatusError]
    timeout: type[Exception]
    connection: type[Exception]


@dataclass(frozen=True)
class Failure:
    error: NavError
    retryable: bool = False
    retry_after: float | None = None


class StreamCut(Exception):
    """The server closed the stream before saying the reply was complete."""


@dataclass(frozen=True)
class Limits:
    """What one request to a provider may cost the host."""

    provider: str
    deadline: float  # seconds for the whole request, retries included
    reply_chars: int  # text plus tool-call names and arguments of one reply

    @classmethod
    def of(cls, config: ProviderConfig) -> Limits:
        return cls(config.name, config.deadline, config.max_reply_chars)

    @property
    def event_bytes(self) -> int:
        """Bytes one SSE event or one JSON body may take: room for the whole reply as JSON-escaped UTF-8."""
        return 4 * self.reply_chars + 65536

    @asynccontextmanager
    async def before(self, deadline: float) -> AsyncIterator[None]:
        """Run the body until the loop time ``deadline``; past it, TimeoutError naming the limit."""
        try:
            async with asyncio.timeout_at(deadline):
                yield
        except TimeoutError:
            raise NavError(ErrorName.TIMEOUT, f"{self.provider} did not finish within its deadline of {self.deadline:g} seconds") from None


class ReplyBudget:
    """Counts what one reply has made the host hold; the SDK stream is abandoned once over the cap."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.used = 0

    def spend(self, text: str) -> None:
        self.used += len(text)
        if self.used > self.limits.reply_chars:
            raise NavError(
                ErrorName.OPERATION,
                f"{self.limits.provider} sent a reply over the limit of {self.limits.reply_chars:,} characters; the reply was stopped",
            )


def retry_after_of(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None  # unreadable: fall back to our own backoff


def _server_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str):
            return message
    return ""


def own_error_behind(exc: BaseException) -> NavError | None:
    """Our own limit error that ``exc`` wraps or interrupted: the SDK wraps errors raised in our response
    hook, and closing a connection our byte limit cut off can fail in turn; the limit is the cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, NavError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def classify(exc: Exception, errors: SdkErrors, provider: str, secret: str | None) -> Failure:
    """Map one SDK or transport exception to a NavError the page can see."""
    import httpx2

    if (ours := own_error_behind(exc)) is not None:
        return Failure(ours)

    def said(limit: int = 300) -> str:
        # Server text is a courtesy: any 4 characters of the key in it go, masked or not.
        text = redact.scrub(_server_message(exc), [secret] if secret else [], fragment=redact.MASKED_FRAGMENT)[:limit]
        return f": {text}" if text else ""

    if isinstance(exc, (errors.timeout, httpx2.TimeoutException)):
        return Failure(NavError(ErrorName.TIMEOUT, f"{provider} did not answer in time"))
    if isinstance(exc, errors.status):
        status = exc.status_code
        if status == 401:
            return Failure(
                NavError(
                    ErrorName.NOT_ALLOWED,
                    f"{provider} rejected the API key (HTTP 401); set a valid key in navllm's settings or with `navllm keys set {provider}`",
                )
            )
        if status == 403:
            return Failure(NavError(ErrorName.NOT_ALLOWED, f"{provider} refused this request (HTTP 403){said()}"))
        if status == 404:
            return Failure(NavError(ErrorName.NOT_FOUND, f"{provider} does not know this model or endpoint (HTTP 404){said()}"))
        if status == 413 or (status in (400, 422) and any(w in _server_message(exc).lower() for w in CONTEXT_WORDS)):
            return Failure(NavError(ErrorName.QUOTA_EXCEEDED, f"the input is too long for the model at {provider}{said()}"))
        if status in RETRYABLE:
            retry_after = retry_after_of(getattr(exc, "response", None) and exc.response.headers)
            if status == 429:
                details = {"retryAfter": retry_after} if retry_after is not None else {}
                error = NavError(ErrorName.QUOTA_EXCEEDED, f"{provider} is rate limiting requests (HTTP 429){said()}", **details)
            else:
                error = NavError(ErrorName.OPERATION, f"{provider} failed (HTTP {status}){said()}")
            return Failure(error, retryable=True, retry_after=retry_after)
        return Failure(NavError(ErrorName.OPERATION, f"{provider} could not process the request (HTTP {status}){said()}"))
    if isinstance(exc, errors.connection):
        return Failure(NavError(ErrorName.NETWORK, f"could not reach {provider}"))
    if isinstance(exc, (httpx2.TransportError, StreamCut)):
        return Failure(NavError(ErrorName.NETWORK, f"the connection to {provider} was lost before the reply finished"))
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):
        return Failure(NavError(ErrorName.OPERATION, f"{provider} sent a malformed reply stream"))
    return Failure(NavError(ErrorName.OPERATION, f"{provider} failed ({type(exc).__name__})"))


async def stream_with_retries(
    start: Callable[[], Awaitable[Any]],
    chunks: Callable[[Any, ReplyBudget], AsyncGenerator[Chunk, None]],
    errors: SdkErrors,
    limits: Limits,
    secret: str | None,
    policy: RetryPolicy,
) -> AsyncGenerator[Chunk, None]:
    """Open a stream with ``start`` and relay ``chunks(stream, budget)``, retrying before the first chunk.

    Each wait (for the stream, for the next chunk) ends at the request's deadline, so a server
    sending a byte at a time is cut off too. The stream is closed on every exit, including
    cancellation, so the HTTP connection goes too.
    """
    provider = limits.provider
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.deadline
    attempt = 0
    while True:
        delivered = False
        try:
            async with limits.before(deadline):
                stream = await start()
            try:
                async with aclosing(chunks(stream, ReplyBudget(limits))) as replies:
                    while True:
                        async with limits.before(deadline):
                            chunk = await anext(replies, None)
                        if chunk is None:
                            break
                        delivered = True
                        yield chunk
            finally:
                await stream.close()
            return
        except NavError:
            raise  # already ours (a refused constraint, a bad part): nothing to retry
        except Exception as exc:
            failure = classify(exc, errors, provider, secret)
            attempt += 1
            wait = policy.delay(attempt - 1, failure.retry_after) if failure.retryable else 0.0
            late = loop.time() + wait >= deadline
            if delivered or not failure.retryable or attempt >= policy.attempts or wait > policy.max_wait or late:
                if failure.retryable and failure.error.name == ErrorName.QUOTA_EXCEEDED and "retryAfter" not in failure.error.details:
                    failure.error.details["retryAfter"] = round(wait, 3)
                log.info("%s: %s (%s)", provider, failure.error.name, type(exc).__name__)
                raise failure.error from None
            log.info("%s: %s, retry %d in %.2fs", provider, failure.error.name, attempt, wait)
            await asyncio.sleep(wait)


def estimate_tokens(messages: list[Message], constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
    """ceil(characters / 4) plus a small overhead per message and a flat cost per image."""
    chars = 0
    tokens = 0
    for message in messages:
        tokens += MESSAGE_OVERHEAD
        for part in message.content:
            if isinstance(part, TextPart):
                chars += len(part.value)
            elif isinstance(part, MediaPart):
                tokens += MEDIA_TOKENS
            elif isinstance(part, ToolCallPart):
                chars += len(part.name) + len(json.dumps(part.arguments))
            elif isinstance(part, ToolResponsePart):
                chars += len(part.name) + len(part.error_message or "") + sum(len(p.value) for p in part.result or [])
    for tool in tools:
        chars += len(tool.name) + len(tool.description) + len(json.dumps(tool.input_schema))
    if constraint is not None:
        chars += len(json.dumps(constraint.model_dump(by_alias=True)))
    return tokens + math.ceil(chars / CHARS_PER_TOKEN)


def json_schema_of(constraint: Constraint | None) -> dict[str, Any] | None:
    """The JSON Schema to enforce, or None; regular expressions are not offered by remote APIs."""
    if constraint is None:
        return None
    if constraint.kind == "regex":
        raise NavError(ErrorName.NOT_SUPPORTED, "remote providers cannot constrain replies to a regular expression")
    schema = constraint.schema_
    return None if schema is True or schema == {} else schema if isinstance(schema, dict) else {"not": {}}


# Every chat API takes tool calls and their results; the media types depend on the entry.
TOOL_PARTS = frozenset({"tool-call", "tool-response"})
# The image formats both OpenAI's and Anthropic's APIs document (pages send PNG or JPEG).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MB = 1024 * 1024


@dataclass(frozen=True)
class MediaRules:
    """What one API takes as media: MIME types per input type (each to the API's name for it),
    and the base64 bytes of one part and of all parts in one request (the whole history goes).
    Sizes are counted as sent, base64, as the APIs count them in their limits."""

    types: Mapping[str, Mapping[str, str]]
    part_bytes: int
    request_bytes: int


def sent_size(part: MediaPart) -> int:
    """The base64 bytes ``part`` sends; DataError when its data is not base64."""
    try:
        binascii.a2b_base64(part.data, strict_mode=True)
    except (binascii.Error, ValueError):
        raise NavError(ErrorName.DATA, f"the {part.type} part is not valid base64 data; send the file's bytes base64-encoded") from None
    return len(part.data)


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MiB"


class RemoteConversation(Conversation):
    """Stateless: the whole history goes with every request."""

    def __init__(self, provider: RemoteProvider, model: str, secret: str | None):
        self.provider = provider
        self.model = model
        self.context_window = provider.context_window
        self.secret = secret

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        return estimate_tokens(messages, constraint, tools)

    async def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        self.provider.check_media(request.messages)  # before any byte is sent, so the chain can fall back
        stream = stream_with_retries(
            lambda: self.start(request),
            self.chunks,
            self.provider.errors(),
            self.provider.limits,
            self.secret,
            self.provider.retry,
        )
        async with aclosing(stream) as chunks:
            async for chunk in chunks:
                yield chunk

    @abstractmethod
    async def start(self, request: Generation) -> Any:
        """Send the request; return the SDK's stream (anything with ``close()``)."""

    @abstractmethod
    def chunks(self, stream: Any, budget: ReplyBudget) -> AsyncGenerator[Chunk, None]:
        """Translate the SDK's stream events into text, tool calls and usage, spending ``budget`` on what is kept."""

    def clone(self) -> RemoteConversation:
        return type(self)(self.provider, self.model, self.secret)


@dataclass(frozen=True)
class Endpoint:
    """Where a remote entry points and what it needs, from the entry with its preset filling gaps."""

    preset: Preset
    base_url: str
    key_needed: bool
    context_window: int
    default_model: str | None
    inputs: tuple[str, ...]

    @classmethod
    def of(cls, config: ProviderConfig) -> Endpoint:
        preset = preset_for(config.kind, config.preset)
        base_url = config.base_url or preset.base_url
        if urlparse(base_url).scheme not in ("http", "https") or not urlparse(base_url).hostname:
            raise NavError(ErrorName.TYPE, f"the base URL of {config.name} must be an http(s) URL")
        # A URL of one's own overrides the preset: servers on this machine need no key.
        key_needed = not is_local(base_url) if config.base_url else preset.key_needed
        custom_local = config.base_url is not None and config.preset is None and is_local(base_url)
        window = config.context_window or (LOCAL_CONTEXT if custom_local else preset.context_window)
        # The preset's model only fits the preset's own endpoint.
        model = preset.model if config.preset or not config.base_url else None
        inputs = tuple(config.inputs or preset.inputs)
        if extra := [t for t in inputs if t not in KIND_INPUTS[config.kind]]:
            raise NavError(
                ErrorName.TYPE,
                f"{config.name} cannot take {' or '.join(extra)}: the {preset.label} API carries {', '.join(KIND_INPUTS[config.kind])}",
            )
        return cls(preset, base_url, key_needed, window, model, inputs)


class RemoteProvider(Provider):
    remote = True
    conversation_class: type[RemoteConversation]
    media: MediaRules

    def __init__(self, config: ProviderConfig, retry: RetryPolicy = RetryPolicy()):
        self.name = config.name
        self.config = config
        endpoint = Endpoint.of(config)
        self.preset = endpoint.preset
        self.base_url = endpoint.base_url
        self.key_needed = endpoint.key_needed
        self.context_window = endpoint.context_window
        self.default_model = endpoint.default_model
        self.inputs = endpoint.inputs
        self.timeout = config.timeout
        self.limits = Limits.of(config)
        self.retry = retry
        self._clients: dict[str, Any] = {}
        self._listed: list[str] | None = None

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc

    @abstractmethod
    def errors(self) -> SdkErrors: ...

    @abstractmethod
    def make_client(self, secret: str) -> Any: ...

    async def list_model_ids(self, client: Any) -> list[str]:
        ids: list[str] = []
        async for model in client.models.list():
            ids.append(model.id)
            if len(ids) == MAX_MODELS:
                break
        return ids

    def secret(self) -> str | None:
        from ..secrets.store import keystore

        secret = keystore().provider_secret(self.name)
        if secret is None and self.key_needed:
            raise NavError(
                ErrorName.NOT_ALLOWED,
                f"no API key is set for {self.name}; add one in navllm's settings or with `navllm keys set {self.name}`",
            )
        return secret

    def client(self, secret: str | None) -> Any:
        """One SDK client per key (a new key gets a new client), reusing connections."""
        key = secret or NO_KEY
        if key not in self._clients:
            self._clients = {key: self.make_client(key)}
        return self._clients[key]

    async def aclose(self) -> None:
        """Close the SDK clients' connection pools (before the event loop ends)."""
        for client in self._clients.values():
            await client.close()
        self._clients = {}

    def check_media(self, messages: list[Message]) -> None:
        """Refuse media this entry does not take, in a format its API does not document, or too large."""
        self.check_inputs(messages)
        total = 0
        for part in (p for m in messages for p in m.content if isinstance(p, MediaPart)):
            formats = self.media.types[part.type]
            if part.mime_type not in formats:
                raise NavError(
                    ErrorName.NOT_SUPPORTED,
                    f"{self.name} takes {part.type} as {', '.join(formats)}, not {part.mime_type}; convert it to one of those first",
                )
            size = sent_size(part)
            if size > self.media.part_bytes:
                raise NavError(
                    ErrorName.QUOTA_EXCEEDED,
                    f"the {part.type} is {_megabytes(size)} as sent (base64), over the {_megabytes(self.media.part_bytes)} "
                    f"{self.name} takes per part; send it smaller",
                )
            total += size
        if total > self.media.request_bytes:
            raise NavError(
                ErrorName.QUOTA_EXCEEDED,
                f"the images and audio of this conversation come to {_megabytes(total)}, over the "
                f"{_megabytes(self.media.request_bytes)} {self.name} takes in one request; start a new session for more",
            )

    def unread(self, kind: str) -> str:
        return (
            f"{self.name} is set to take {', '.join(self.inputs)}, not {kind}; if its model reads {kind}, "
            f"add it to the provider's inputs in navllm's settings (`navllm providers edit {self.name} --inputs ...`)"
        )

    async def availability(self, options: CoreOptions) -> Availability:
        if not check_expected(options, frozenset(self.inputs) | TOOL_PARTS):
            return "unavailable"
        if self.key_needed:
            from ..secrets.store import keystore

            if not keystore().status(self.name)["present"]:
                return "unavailable"
        return "available"

    async def _load_sdk(self) -> None:
        """Import the SDK off the event loop: cold, it takes seconds, and other requests must keep flowing."""
        await asyncio.to_thread(self.errors)

    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        secret = await asyncio.to_thread(self.secret)  # a cold keychain read is a D-Bus round trip or a prompt
        await self._load_sdk()
        asked = options.model if options.provider == self.name else None
        model = asked or self.config.model or self.default_model or await self._first_listed(secret)
        progress(1.0)
        return self.conversation_class(self, model, secret)

    async def _first_listed(self, secret: str | None) -> str:
        ids = await self._model_ids(secret)
        if not ids:
            raise NavError(ErrorName.NOT_SUPPORTED, f"{self.name} lists no models; name one in its settings")
        return ids[0]

    async def _model_ids(self, secret: str | None) -> list[str]:
        await self._load_sdk()
        try:
            async with self.limits.before(asyncio.get_running_loop().time() + self.limits.deadline):
                return await self.list_model_ids(self.client(secret))
        except NavError:
            raise
        except Exception as exc:
            raise classify(exc, self.errors(), self.name, secret).error from None

    async def models(self) -> list[dict[str, Any]]:
        """What the endpoint lists (cached per process); the configured model if listing fails."""
        if self._listed is None:
            try:
                self._listed = await self._model_ids(await asyncio.to_thread(self.secret))
            except NavError as err:
                log.info("%s: listing models failed: %s", self.name, err.name)
                configured = self.config.model or self.default_model
                return [{"model": configured, "kind": "chat"}] if configured else []
        return [{"model": m, "kind": "chat"} for m in self._listed]
