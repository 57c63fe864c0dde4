// MAIN world: the LanguageDetector API on the machinery of ai-model.js. detect() resolves with
// [{detectedLanguage, confidence}, ...], most likely first, ending with "und" (undetermined).
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const { defineTask, member, frozenList } = ns.aiModel;

  // Fresh LanguageDetectionResult dictionaries from the host's list (own data properties only).
  const results = (data) => {
    if (!I.isArray(data)) return [{ detectedLanguage: "und", confidence: 1 }];
    return data.map((item) => ({ detectedLanguage: I.String(own(item, "detectedLanguage") ?? "und"), confidence: Number(own(item, "confidence") ?? 0) }));
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
