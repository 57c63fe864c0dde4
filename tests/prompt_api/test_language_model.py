"""The LanguageModel polyfill in real browsers, on the echo backend (exact expectations)."""

from __future__ import annotations

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"


def test_surface(page):
    got = page.run("""
        const s = await LanguageModel.create();
        return {
          methods: ["prompt", "promptStreaming", "append", "measureContextUsage", "measureInputUsage", "clone", "destroy"]
            .map((m) => typeof s[m]),
          statics: [typeof LanguageModel.availability, typeof LanguageModel.create, typeof LanguageModel.params],
          isTarget: s instanceof EventTarget && s instanceof LanguageModel,
          usage: [s.contextUsage, s.contextWindow, s.inputUsage, s.inputQuota],
          sampling: [typeof s.topK, typeof s.temperature, s.samplingMode],
          handlers: [s.oncontextoverflow, s.onquotaoverflow],
          illegal: syncOutcome(() => new LanguageModel()).ctor,
          classes: [typeof LanguageModelToolSuccess, typeof LanguageModelToolError, typeof QuotaExceededError],
        };
    """)
    assert got == {
        "methods": ["function"] * 7,
        "statics": ["function"] * 3,
        "isTarget": True,
        "usage": [0, 1000, 0, 1000],
        "sampling": ["undefined", "undefined", "balanced"],
        "handlers": [None, None],
        "illegal": "TypeError",
        "classes": ["function"] * 3,
    }
