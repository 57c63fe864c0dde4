// MAIN world: the Translator API on the machinery of ai-model.js: a source and a target
// language (both required, canonicalised), translate() and translateStreaming().
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const { defineTask, member } = ns.aiModel;

  defineTask({
    name: "Translator",
    kind: "translator",
    feature: "translator",
    transient: true,
    optionsRequired: true,
    core: [
      ["sourceLanguage", member.required()],
      ["targetLanguage", member.required()],
    ],
    sharedContext: false,
    tags: ["sourceLanguage", "targetLanguage"],
    context: false,
    attributes: {
      sourceLanguage: (o) => o.sourceLanguage,
      targetLanguage: (o) => o.targetLanguage,
    },
    methods: { translate: "text", translateStreaming: "stream", measureInputUsage: "measure" },
    // Nothing to translate: the text comes back as it is.
    blank: (input) => input,
  });
})();
