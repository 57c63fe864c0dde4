// MAIN world: the Writing Assistance APIs, Summarizer, Writer and Rewriter, on the machinery
// of ai-model.js. Each is described once here: its options (WebIDL order, defaults), the
// language tags it checks, its attributes and its methods.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const { defineTask, member, frozenList, orNull } = ns.aiModel;

  const SUMMARIZER_TYPES = ["tldr", "teaser", "key-points", "headline"];
  const SUMMARIZER_FORMATS = ["plain-text", "markdown"];
  const SUMMARIZER_LENGTHS = ["short", "medium", "long"];
  // A hint which model to prefer (a faster one, a more capable one); navllm passes it to the host.
  const SUMMARIZER_PREFERENCES = ["auto", "speed", "capability"];
  const WRITER_TONES = ["formal", "neutral", "casual"];
  const WRITER_FORMATS = ["plain-text", "markdown"];
  const WRITER_LENGTHS = ["short", "medium", "long"];
  const REWRITER_TONES = ["as-is", "more-formal", "more-casual"];
  const REWRITER_FORMATS = ["as-is", "plain-text", "markdown"];
  const REWRITER_LENGTHS = ["as-is", "shorter", "longer"];

  // What the three share: the language members, sharedContext and per-call context.
  const LANGUAGE_TAGS = ["expectedInputLanguages", "expectedContextLanguages", "outputLanguage"];
  // `blank` is what a call gives for input with nothing to work on (only whitespace): a summary
  // or a new text of nothing is "", a rewrite of it is the input unchanged.
  const writingTask = (name, kind, feature, own, verb, blank) => {
    // WebIDL converts a dictionary's members in lexicographic order.
    const core = [
      ["expectedContextLanguages", member.strings()],
      ["expectedInputLanguages", member.strings()],
      ...own,
      ["outputLanguage", member.string()],
    ].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const attributes = {
      sharedContext: (o) => o.sharedContext ?? "",
      expectedInputLanguages: (o) => frozenList(o.expectedInputLanguages),
      expectedContextLanguages: (o) => frozenList(o.expectedContextLanguages),
      outputLanguage: (o) => orNull(o.outputLanguage),
    };
    for (const [key] of own) attributes[key] = (o) => o[key];
    return defineTask({
      name,
      kind,
      feature,
      transient: false,
      core,
      sharedContext: true,
      tags: LANGUAGE_TAGS,
      context: true,
      blank,
      attributes,
      methods: { [verb]: "text", [`${verb}Streaming`]: "stream", measureInputUsage: "measure" },
    });
  };

  writingTask("Summarizer", "summarizer", "summarizer", [
    ["type", member.enumeration(SUMMARIZER_TYPES, "key-points")],
    ["format", member.enumeration(SUMMARIZER_FORMATS, "markdown")],
    ["length", member.enumeration(SUMMARIZER_LENGTHS, "short")],
    ["preference", member.enumeration(SUMMARIZER_PREFERENCES, "auto")],
  ], "summarize");

  writingTask("Writer", "writer", "writer", [
    ["tone", member.enumeration(WRITER_TONES, "neutral")],
    ["format", member.enumeration(WRITER_FORMATS, "markdown")],
    ["length", member.enumeration(WRITER_LENGTHS, "short")],
  ], "write");

  writingTask("Rewriter", "rewriter", "rewriter", [
    ["tone", member.enumeration(REWRITER_TONES, "as-is")],
    ["format", member.enumeration(REWRITER_FORMATS, "as-is")],
    ["length", member.enumeration(REWRITER_LENGTHS, "as-is")],
  ], "rewrite", (input) => input);
})();
