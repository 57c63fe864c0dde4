// MAIN world: navigator.llm, navllm's own page surface, on the same engine as LanguageModel:
//   availability({provider, model}) -> "unavailable" | "downloadable" | "downloading" | "available"
//   createSession({systemPrompt, initialPrompts, temperature, topK, maxTokens, provider, model,
//                  responseConstraint, tools, signal, monitor}) -> session
//   session.generate({prompt, signal, responseConstraint}) -> string (or parts with tool calls)
//   session.generateStreaming({prompt, signal, responseConstraint}) -> ReadableStream of deltas
//   session.append(input, {signal}), session.clone({signal}), session.contextUsage,
//   session.contextWindow, session.destroy()
//   prompt(text, options) -> string: a one-shot session
//   embed(texts, {model}) -> Float32Array[]; models() -> [{provider, name, ...}]
//   createSummarizer / createWriter / createRewriter / createProofreader / createTranslator /
//   createLanguageDetector(options) -> a Summarizer, Writer, ... : the task API's own create
//     options plus {provider, model}, without the permissions policy (as createSession)
//   taskAvailability(kind, options) -> availability of one task ("summarizer", "writer",
//     "rewriter", "proofreader", "translator", "language-detector") with those options
// It holds no secrets: every decision is made by the extension background and the host.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const { request, availability: askAvailability } = ns.transport;
  const Float32 = Float32Array;
  const includes = Array.prototype.includes;

  // WebIDL-style dictionary reads: undefined/null means "no options", anything else must be an object.
  const dictionary = (value, what) => {
    if (value === undefined || value === null) return {};
    if (typeof value !== "object" && typeof value !== "function") throw new I.TypeError(`${what} must be an object`);
    return value;
  };

  const checkSignal = (signal, what) => {
    if (signal !== undefined && !(signal instanceof I.AbortSignal)) throw new I.TypeError(`${what}.signal must be an AbortSignal`);
    return signal;
  };

  const optionalNumber = (value, name, integer, min, max) => {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || I.isNaN(value) || (integer && !I.isSafeInteger(value))) {
      throw new I.TypeError(`${name} must be ${integer ? "an integer" : "a number"}`);
    }
    if (value < min || value > max) throw new I.RangeError(`${name} must be between ${min} and ${max}`);
    return value;
  };

  const optionalName = (value, name) => {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") throw new I.TypeError(`${name} must be a non-empty string`);
    return value;
  };

  // A prompt is text, or a list of {role, content} messages as LanguageModel takes them.
  const promptInput = (prompt) => {
    if (typeof prompt === "string" || I.isArray(prompt)) return prompt;
    throw new I.TypeError("prompt must be a string or an array of messages");
  };

  const wrap = (model, defaults) => {
    const callOptions = (options, what) => {
      const opts = dictionary(options, what);
      const call = { signal: checkSignal(opts.signal, what) };
      const constraint = opts.responseConstraint ?? defaults.responseConstraint;
      if (constraint !== undefined) call.responseConstraint = constraint;
      return { opts, call };
    };
    const session = {
      __proto__: null,
      generate(options) {
        try {
          const { opts, call } = callOptions(options, "options");
          return model.prompt(promptInput(opts.prompt), call);
        } catch (err) {
          return I.Promise.reject(err);
        }
      },
      generateStreaming(options) {
        const { opts, call } = callOptions(options, "options");
        return model.promptStreaming(promptInput(opts.prompt), call);
      },
      append(input, options) {
        return model.append(input, { signal: checkSignal(dictionary(options, "options").signal, "options") });
      },
      async clone(options) {
        const signal = checkSignal(dictionary(options, "options").signal, "options");
        return wrap(await model.clone({ signal }), defaults);
      },
      get contextUsage() {
        return model.contextUsage;
      },
      get contextWindow() {
        return model.contextWindow;
      },
      destroy() {
        model.destroy();
      },
    };
    return I.freeze(session);
  };

  const availability = (options) => {
    try {
      const opts = dictionary(options, "options");
      const choice = { provider: optionalName(opts.provider, "provider"), model: optionalName(opts.model, "model") };
      return askAvailability({ options: choice });
    } catch (err) {
      return I.Promise.reject(err);
    }
  };

  const createSession = async (options) => {
    const engine = ns.promptEngine;
    const opts = dictionary(options, "options");
    const signal = checkSignal(opts.signal, "options");
    const sampling = { __proto__: null }; // no inherited setters from a poisoned Object.prototype
    const temperature = optionalNumber(opts.temperature, "temperature", false, 0, 2);
    const topK = optionalNumber(opts.topK, "topK", true, 1, 1000);
    const maxTokens = optionalNumber(opts.maxTokens, "maxTokens", true, 1, 131072);
    if (temperature !== undefined) sampling.temperature = temperature;
    if (topK !== undefined) sampling.topK = topK;
    if (maxTokens !== undefined) sampling.maxTokens = maxTokens;
    const systemPrompt = opts.systemPrompt;
    if (systemPrompt !== undefined && typeof systemPrompt !== "string") throw new I.TypeError("systemPrompt must be a string");
    const initial = opts.initialPrompts === undefined ? [] : I.apply(Array.prototype.slice, promptInput(opts.initialPrompts), []);
    if (systemPrompt !== undefined) initial.unshift({ role: "system", content: systemPrompt });
    const tools = engine.toolList(opts.tools);
    const outputs = tools.length ? [{ type: "tool-call", languages: [] }] : [];
    const inputs = tools.length ? [{ type: "tool-response", languages: [] }] : [];
    const core = {
      choice: { provider: optionalName(opts.provider, "provider"), model: optionalName(opts.model, "model") },
      sampling,
      expectedInputs: inputs,
      expectedOutputs: outputs,
      tools,
    };
    // Checked now so that a bad default fails at creation, not at the first generate().
    if (opts.responseConstraint !== undefined) engine.responseConstraint({ responseConstraint: opts.responseConstraint });
    const model = await engine.open(core, initial, signal, opts.monitor);
    return wrap(model, { responseConstraint: opts.responseConstraint });
  };

  const prompt = async (text, options) => {
    const opts = dictionary(options, "options");
    const session = await createSession(opts);
    try {
      return await session.generate({ prompt: text, signal: opts.signal });
    } finally {
      session.destroy();
    }
  };

  const embed = async (texts, options) => {
    const list = typeof texts === "string" ? [texts] : I.isArray(texts) ? texts : null;
    if (list === null || list.length === 0 || !list.every((t) => typeof t === "string")) {
      throw new I.TypeError("embed() takes a string or a non-empty array of strings");
    }
    const model = optionalName(dictionary(options, "options").model, "model");
    const vectors = await request("embed", model === undefined ? { texts: list } : { texts: list, model }, {});
    return vectors.map((v) => new Float32(v));
  };

  const models = async () => {
    const listed = await request("models", {}, {});
    return I.isArray(listed) ? listed.map((m) => I.freeze({ ...m })) : [];
  };

  // The task APIs (ai-model.js registers each in ns.tasks by its kind).
  const TASK_KINDS = ["summarizer", "writer", "rewriter", "proofreader", "translator", "language-detector"];
  const taskChoice = (opts) => ({ provider: optionalName(opts.provider, "provider"), model: optionalName(opts.model, "model") });

  const taskCreator = (kind) => (options) => {
    try {
      const opts = dictionary(options, "options");
      return ns.tasks[kind].create(opts, taskChoice(opts));
    } catch (err) {
      return I.Promise.reject(err);
    }
  };

  const taskAvailability = (kind, options) => {
    try {
      if (!I.apply(includes, TASK_KINDS, [kind])) throw new I.TypeError(`kind must be one of ${TASK_KINDS.join(", ")}`);
      const opts = dictionary(options, "options");
      return ns.tasks[kind].availability(opts, taskChoice(opts));
    } catch (err) {
      return I.Promise.reject(err);
    }
  };

  ns.define(
    I.navigator,
    "llm",
    I.freeze({
      __proto__: null,
      availability,
      createSession,
      prompt,
      embed,
      models,
      taskAvailability,
      createSummarizer: taskCreator("summarizer"),
      createWriter: taskCreator("writer"),
      createRewriter: taskCreator("rewriter"),
      createProofreader: taskCreator("proofreader"),
      createTranslator: taskCreator("translator"),
      createLanguageDetector: taskCreator("language-detector"),
    }),
  );
})();
