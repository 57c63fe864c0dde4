"""Which languages a task can read and write on each kind of provider.

A tag is judged by its primary language subtag ("en-GB" is English). The local default model
is trained on English; the echo backend answers in what Chromium's echo mock accepts; remote
chat models read and write the major languages.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..protocol.tasks import TaskOptions
from . import detect

ENGLISH = frozenset({"en"})
ECHO = frozenset({"en", "es", "ja"})
# English names, for instructions that name a language.
NAMES = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fa": "Persian",
    "fi": "Finnish",
    "fil": "Filipino",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nb": "Norwegian Bokmål",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
REMOTE = frozenset(NAMES)


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def name(tag: str) -> str:
    """The language's English name (the tag itself when it has none here)."""
    return NAMES.get(primary(tag), tag)


def spoken(provider_kind: str) -> frozenset[str]:
    """The languages a provider of this kind reads and writes."""
    if provider_kind == "local":
        return ENGLISH
    if provider_kind == "echo":
        return ECHO
    return REMOTE


def _within(tags: Iterable[str], known: frozenset[str]) -> bool:
    return all(primary(tag) in known for tag in tags)


def supported(options: TaskOptions, provider_kind: str) -> bool:
    """Whether a provider of ``provider_kind`` can serve every language ``options`` names."""
    if options.kind == "language-detector":
        return _within(options.expected_input_languages or (), detect.KNOWN)
    known = spoken(provider_kind)
    if options.kind == "translator" and provider_kind == "local":
        # The small local model cannot translate; only the identity pair is honest.
        return {primary(options.source_language or ""), primary(options.target_language or "")} == {"en"}
    return _within(options.languages(), known)
