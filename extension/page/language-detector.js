// MAIN world: the LanguageDetector API on the machinery of ai-model.js. detect() resolves with
// [{detectedLanguage, confidence}, ...], most likely first, ending with "und" (undetermined).
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const { defineTask, member, frozenList } = ns.aiModel;

  // A detected language as its canonical BCP 47 tag, as results must be: the model's labels
  // include deprecated ones ("tl" is "fil", "iw" is "he"). A label that is no tag stays as it is.
  const canonicalLocales = Intl.getCanonicalLocales;
  const canonical = (tag) => {
    try {
      return canonicalLocales(tag)[0] ?? tag;
    } catch {
      return tag;
    }
  };

  // Fresh LanguageDetectionResult dictionaries from the host's list (own data properties only).
  const results = (data) => {
    if (!I.isArray(data)) return [{ detectedLanguage: "und", confidence: 1 }];
    return data.map((item) => ({
      detectedLanguage: canonical(I.String(own(item, "detectedLanguage") ?? "und")),
      confidence: Number(own(item, "confidence") ?? 0),
    }));
  };

  defineTask({
    name: "LanguageDetector",
    kind: "language-detector",
    feature: "language-detector",
    transient: true,
    core: [["expectedInputLanguages", member.strings()]],
    sharedContext: false,
    tags: ["expectedInputLanguages"],
    context: false,
    attributes: { expectedInputLanguages: (o) => frozenList(o.expectedInputLanguages) },
    methods: { detect: "result", measureInputUsage: "measure" },
    result: results,
    empty: () => [{ detectedLanguage: "und", confidence: 1 }],
  });
})();
