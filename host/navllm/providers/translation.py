"""A dedicated translation model (an Opus-MT/Marian model converted for CTranslate2) serving the
Translator API for its language pair.

CTranslate2 runs these models on the CPU (int8 where they were converted so) without torch, and
SentencePiece splits and joins text as the model was trained; both are the optional
``translation`` extra, imported on first use only, so a host without them starts as lean and
simply has no dedicated model. Opus-MT models are trained on sentences and lines: each line is
translated on its own and the line breaks and indentation are kept. Decoding is greedy, token by
token, in a thread of its own, so the reply streams, a deadline holds and an aborted call stops
the model at its next token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models.translation import Pair, runtime_missing
from ..protocol.common import Availability, Constraint, Message, ToolSpec
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions
from .base import Chunk, Conversation, Generation, ProgressCallback, Provider, Usage

if TYPE_CHECKING:
    from ..models.store import InstalledModel, ModelStore

log = logging.getLogger(__name__)

NAME = "translation"  # the provider a dedicated model is granted and logged as (on-device: the "local" grant covers it)
MAX_INPUT = 512  # tokens of input per call, as the model's tokenizer counts them: Opus-MT's trained positions; the inputQuota
DEADLINE = 120.0  # seconds one translation may take
MAX_LOADED = 2  # models kept loaded; the least recently opened beyond it is released


def max_output(input_tokens: int) -> int:
    """The most tokens a line's translation may take: room for a longer language, not for a loop."""
    return min(1024, 2 * input_tokens + 16)


@dataclass(frozen=True)
class Loaded:
    """A model in memory: the CTranslate2 translator and the two SentencePiece processors."""

    translator: Any
    source: Any
    target: Any

    def tokens(self, line: str) -> list[str]:
        return list(self.source.encode(line, out_type=str))

    def count(self, text: str) -> int:
        """Input tokens ``text`` costs: each non-blank line's pieces and its end-of-sentence token."""
        return sum(len(self.tokens(line)) + 1 for line in text.split("\n") if line.strip())

    def stream(self, text: str, stop: threading.Event, counted: list[int]) -> Iterator[str]:
        """The translation of ``text`` as it is decoded, line by line; ``counted`` gathers the tokens made."""
        for index, line in enumerate(text.split("\n")):
            if index:
                yield "\n"
            body = line.strip()
            if not body:
                yield line
                continue
            yield line[: len(line) - len(line.lstrip())]
            yield from self._line(body, stop, counted)
            yield line[len(line.rstrip()) :]

    def _line(self, line: str, stop: threading.Event, counted: list[int]) -> Iterator[str]:
        tokens = self.tokens(line)
        steps = self.translator.generate_tokens(tokens, max_decoding_length=max_output(len(tokens)))
        pieces: list[str] = []
        shown = ""
        try:
            for step in steps:
                if stop.is_set():
                    return
                if self.target.is_control(self.target.piece_to_id(step.token)):
                    continue  # the end of the sentence, which CTranslate2 yields too: not text, not counted
                pieces.append(step.token)
                counted.append(1)
                decoded = self.target.decode(pieces)
                if decoded.startswith(shown) and len(decoded) > len(shown):
                    yield decoded[len(shown) :]
                    shown = decoded
        finally:
            steps.close()  # stops CTranslate2's decoding of this line


class TranslationModels:
    """The installed translation models, and the ones loaded (shared by every Translator of their pair)."""

    def __init__(self, store: Callable[[], ModelStore] | None = None):
        self._store = store or _store
        self._loaded: OrderedDict[Path, Loaded] = OrderedDict()
        self._lock = threading.Lock()
        self._warned = False

    def covering(self, pair: Pair) -> TranslationModel | None:
        """The newest installed model translating ``pair`` the runtime can load, or None."""
        try:
            fits = [m for m in self._store().list() if m.kind == "translation" and m.languages == pair]
        except NavError as err:  # a damaged registry: the chat providers still translate
            log.warning("translation models unavailable: %s", err.message)
            return None
        if not fits:
            return None
        missing = runtime_missing()
        if missing:
            if not self._warned:
                log.warning("%s", missing)
                self._warned = True
            return None
        return TranslationModel(max(fits, key=lambda m: m.created), self)

    def load(self, installed: InstalledModel) -> Loaded:
        """The model in memory, loaded on first use; DataError naming its folder when it will not load."""
        with self._lock:
            loaded = self._loaded.get(installed.path)
            if loaded is None:
                loaded = _load(installed)
                self._loaded[installed.path] = loaded
                while len(self._loaded) > MAX_LOADED:
                    self._loaded.popitem(last=False)
            self._loaded.move_to_end(installed.path)
            return loaded


def _store() -> ModelStore:
    from ..models.store import ModelStore  # on first use: the host starts without the store's modules

    return ModelStore()


def _load(installed: InstalledModel) -> Loaded:
    import ctranslate2  # type: ignore[import-untyped]  # publishes no type information
    import sentencepiece

    try:
        return Loaded(
            translator=ctranslate2.Translator(str(installed.path), device="cpu", inter_threads=1),
            source=sentencepiece.SentencePieceProcessor(model_file=str(installed.path / "source.spm")),
            target=sentencepiece.SentencePieceProcessor(model_file=str(installed.path / "target.spm")),
        )
    except Exception as exc:  # CTranslate2 and SentencePiece raise RuntimeError or OSError on a damaged file
        raise NavError(
            ErrorName.DATA,
            f"translation model {installed.name!r} in {installed.path} does not load ({type(exc).__name__}: {exc}); "
            f"run `navllm models verify {installed.name}`, then pull it again or remove it",
        ) from None


class TranslationModel(Provider):
    """One installed translation model, as the provider of the Translators of its pair."""

    remote = False

    def __init__(self, installed: InstalledModel, models: TranslationModels):
        self.name = NAME
        self.installed = installed
        self._models = models

    async def availability(self, options: CoreOptions) -> Availability:
        return "available"

    async def open(self, options: CoreOptions, progress: ProgressCallback) -> Conversation:
        progress(0.0)
        loaded = await asyncio.to_thread(self._models.load, self.installed)
        progress(1.0)
        return TranslationConversation(self, loaded)


class TranslationConversation(Conversation):
    """A Translator on a dedicated model: the text in, its translation out; there is no history."""

    def __init__(self, provider: TranslationModel, loaded: Loaded):
        self.provider = provider
        self.loaded = loaded
        self.model = provider.installed.name
        self.context_window = MAX_INPUT

    async def measure(self, messages: list[Message], *, constraint: Constraint | None = None, tools: Sequence[ToolSpec] = ()) -> int:
        return await asyncio.to_thread(self.loaded.count, _text(messages))

    async def generate(self, request: Generation) -> AsyncGenerator[Chunk, None]:
        text = _text(request.messages)
        input_tokens = await self.measure(request.messages)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
        stop = threading.Event()
        counted: list[int] = []

        def put(item: str | BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting any more
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            try:
                for delta in self.loaded.stream(text, stop, counted):
                    if delta:
                        put(delta)
                put(None)
            except Exception as exc:  # reaches the page as an error, not as a hang
                put(exc)

        threading.Thread(target=work, name="translate", daemon=True).start()
        deadline = time.monotonic() + DEADLINE
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the page's abort when an item arrives with it.
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        item = await queue.get()
                except TimeoutError:
                    raise NavError(ErrorName.TIMEOUT, f"translating took longer than {DEADLINE:g} s; translate a shorter text") from None
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise NavError(ErrorName.OPERATION, f"the translation model {self.model!r} failed: {type(item).__name__}: {item}")
                yield item
        finally:
            stop.set()  # an abort or the deadline: the model stops at its next token
        yield Usage(input_tokens=input_tokens, output_tokens=len(counted))

    def clone(self) -> Conversation:
        return TranslationConversation(self.provider, self.loaded)


def _text(messages: list[Message]) -> str:
    return messages[-1].text if messages else ""
