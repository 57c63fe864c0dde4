// MAIN world: the Proofreader API on the machinery of ai-model.js. proofread() resolves with
// {correctedInput, corrections} ({correctedInput} alone for blank input); each correction's
// indices are UTF-16 offsets into the input, and it carries `types` / `explanation` only when
// the Proofreader was created asking for them.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const { defineTask, member, frozenList, orNull } = ns.aiModel;

  const CORRECTION_TYPES = ["spelling", "punctuation", "capitalization", "preposition", "missing-words", "grammar"];

  const includes = Array.prototype.includes;
  const isCorrectionType = (value) => typeof value === "string" && I.apply(includes, CORRECTION_TYPES, [value]);

  // The host's {startIndex, endIndex, correction, type?, types?, explanation?}, as a fresh
  // ProofreadCorrection dictionary (only own data properties are read).
  const correctionOf = (item) => {
    const correction = {
      startIndex: own(item, "startIndex"),
      endIndex: own(item, "endIndex"),
      correction: I.String(own(item, "correction") ?? ""),
    };
    const listed = own(item, "types");
    const types = I.isArray(listed) ? listed.filter(isCorrectionType) : isCorrectionType(own(item, "type")) ? [own(item, "type")] : [];
    if (types.length > 0) correction.types = types;
    const explanation = own(item, "explanation");
    if (typeof explanation === "string") correction.explanation = explanation;
    return correction;
  };

  defineTask({
    name: "Proofreader",
    kind: "proofreader",
    feature: "proofreader",
    transient: false,
    core: [
      ["correctionExplanationLanguage", member.string()],
      ["expectedInputLanguages", member.strings()],
      ["includeCorrectionExplanations", member.boolean(false)],
      ["includeCorrectionTypes", member.boolean(false)],
    ],
    sharedContext: false,
    tags: ["expectedInputLanguages", "correctionExplanationLanguage"],
    context: false,
    attributes: {
      includeCorrectionTypes: (o) => o.includeCorrectionTypes,
      includeCorrectionExplanations: (o) => o.includeCorrectionExplanations,
      expectedInputLanguages: (o) => frozenList(o.expectedInputLanguages),
      correctionExplanationLanguage: (o) => orNull(o.correctionExplanationLanguage),
    },
    methods: { proofread: "result", measureInputUsage: "measure" },
    result: (data, input) => {
      const corrected = own(data, "correctedInput");
      const list = own(data, "corrections");
      return {
        correctedInput: typeof corrected === "string" ? corrected : input,
        corrections: I.isArray(list) ? list.map(correctionOf) : [],
      };
    },
    // Blank input has nothing to correct: the result has no corrections member, as Chromium
    // and the web-platform-tests give it (the dictionary's members are optional).
    empty: (input) => ({ correctedInput: input }),
  });
})();
