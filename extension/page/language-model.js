// MAIN world: the Prompt API (`LanguageModel`), served by the navllm host. What calls are
// given (messages, media, tools, constraints) is checked by prompt-input.js.
//
// Installed only where the browser has no LanguageModel of its own. Everything a page passes
// is validated here, in the order the specification gives, so pages see the same errors as
// in a browser with a built-in model; the host then does the model work, keeps the session
// history and accounts for the context window. Where the specification and the browser that
// ships the API differ (a destroyed session rejects with InvalidStateError, tool calls carry
// `callID`), the shipped behaviour wins, so pages written against it run unchanged.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const { request, availability: askAvailability } = ns.transport;
  const { abortReason } = ns.errors;
  const { TypeError, Promise, freeze, defineProperty } = I;
  const {
    MESSAGE_TYPES, domError, isObject, dictionary, sequence, enumeration, required, signalOption,
    messages, encodeMessages, responseConstraint, toolCallPart,
    LanguageModelToolCall, LanguageModelToolSuccess, LanguageModelToolError,
  } = ns.promptInput;
  const { newMonitor, progressReporter, requireActive } = ns.aiModel;
  const canonicalLocales = Intl.getCanonicalLocales;
  const stringify = JSON.stringify;
  const parseJSON = JSON.parse;
  const setTimeoutNative = globalThis.setTimeout;
  const NativeEventTarget = EventTarget;
  const NativeEvent = Event;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const listen = EventTarget.prototype.addEventListener;
  const unlisten = EventTarget.prototype.removeEventListener;
  const userActivation = I.navigator.userActivation;
  const sticky = typeof UserActivation === "function" ? Object.getOwnPropertyDescriptor(UserActivation.prototype, "hasBeenActive").get : undefined;

  const SAMPLING_MODES = ["most-predictable", "predictable", "slightly-predictable", "balanced", "slightly-creative", "creative", "most-creative"];
  // What each mode asks of the model; "balanced" leaves the model's defaults alone.
  const MODE_SAMPLING = {
    __proto__: null,
    "most-predictable": { temperature: 0, topK: 1 },
    predictable: { temperature: 0.3, topK: 8 },
    "slightly-predictable": { temperature: 0.6, topK: 20 },
    balanced: {},
    "slightly-creative": { temperature: 0.9, topK: 64 },
    creative: { temperature: 1.2, topK: 128 },
    "most-creative": { temperature: 1.5, topK: 256 },
  };

  const destroyedError = () => domError("InvalidStateError", "The session has been destroyed.");
  const aborted = (signal) => signal !== undefined && I.apply(I.signalAborted, signal, []);

  // ---- Options ---------------------------------------------------------------------------

  const expectedList = (value, what) => {
    if (value === undefined) return [];
    return sequence(value, what).map((item) => {
      const dict = dictionary(item, what);
      const type = enumeration(required(dict, "type", what), MESSAGE_TYPES, `${what}[].type`);
      const languages = dict.languages === undefined ? [] : sequence(dict.languages, `${what}[].languages`).map(I.String);
      return { type, languages };
    });
  };

  // Invalid tags throw RangeError; valid ones are canonicalised ('EN' -> 'en').
  const canonicalise = (list) => list.map((e) => ({ type: e.type, languages: canonicalLocales(e.languages) }));

  const validateSchema = (schema, what) => {
    if (!isObject(schema)) throw new TypeError(`${what}.inputSchema must be an object.`);
    if (schema.type !== "object") throw new TypeError(`${what}.inputSchema.type must be "object".`);
    const properties = schema.properties;
    if (properties !== undefined && (!isObject(properties) || I.isArray(properties))) {
      throw new TypeError(`${what}.inputSchema.properties must be an object.`);
    }
    const requiredNames = schema.required;
    if (requiredNames !== undefined && !I.isArray(requiredNames)) throw new TypeError(`${what}.inputSchema.required must be an array.`);
    // Circular schemas throw TypeError here; a throwing toJSON or getter propagates as is.
    return parseJSON(stringify(schema));
  };

  const toolList = (value) => {
    if (value === undefined) return [];
    const names = new Set();
    return sequence(value, "tools").map((item, index) => {
      const what = `tools[${index}]`;
      const dict = dictionary(item, what);
      const name = I.String(required(dict, "name", what));
      const description = I.String(required(dict, "description", what));
      const inputSchema = validateSchema(required(dict, "inputSchema", what), what);
      if (name === "") throw new TypeError(`${what}.name must not be empty.`);
      if (description === "") throw new TypeError(`${what}.description must not be empty.`);
      if (names.has(name)) throw new TypeError(`Tool names must be unique; '${name}' appears twice.`);
      names.add(name);
      return { name, description, inputSchema };
    });
  };

  // The options availability() and create() share; `what` names the method in errors.
  const coreOptions = (raw, what) => {
    const dict = dictionary(raw, what);
    const expectedInputs = expectedList(dict.expectedInputs, "expectedInputs");
    const expectedOutputs = expectedList(dict.expectedOutputs, "expectedOutputs");
    const samplingMode = dict.samplingMode === undefined ? undefined : enumeration(dict.samplingMode, SAMPLING_MODES, "samplingMode");
    const temperature = dict.temperature === undefined ? undefined : Number(dict.temperature);
    const topK = dict.topK === undefined ? undefined : Number(dict.topK);
    const tools = toolList(dict.tools);
    // Deprecated: honoured (checked, clamped, refused beside samplingMode) only in extension
    // contexts; web pages, where this runs, may pass them with or without samplingMode and they
    // are ignored, and a session's topK and temperature read undefined.
    if (temperature !== undefined || topK !== undefined) {
      console.warn("LanguageModel: topK and temperature are ignored on web pages; use samplingMode.");
    }
    return {
      dict,
      samplingMode,
      expectedInputs: canonicalise(expectedInputs),
      expectedOutputs: canonicalise(expectedOutputs),
      tools,
    };
  };

  const requireToolCallOutput = (core) => {
    if (core.tools.length > 0 && !core.expectedOutputs.some((e) => e.type === "tool-call")) {
      throw new TypeError("Declaring tools requires expectedOutputs to include {type: 'tool-call'}.");
    }
  };

  const declaredInputs = (core) => new Set(["text", ...core.expectedInputs.map((e) => e.type)]);

  // What the host is asked for; navigator.llm passes its own sampling and provider choice.
  const wireOptions = (core) => ({
    ...core.choice,
    sampling: core.sampling ?? { ...MODE_SAMPLING[core.samplingMode ?? "balanced"] },
    expectedInputs: core.expectedInputs,
    expectedOutputs: core.expectedOutputs,
    tools: core.tools,
  });

  // What create() says when no model serves the options, naming what was asked for beyond
  // text: image or audio input on a text-only model (the on-device one) is the usual reason.
  const unsupportedMessage = (core) => {
    let asked = "";
    const add = (what) => (asked += `${asked ? ", " : ""}${what}`);
    for (const [expected, way] of [[core.expectedInputs, "input"], [core.expectedOutputs, "output"]]) {
      for (let i = 0; i < (expected?.length ?? 0); i++) {
        if (expected[i].type !== "text") add(`${expected[i].type} ${way}`);
        const languages = expected[i].languages;
        for (let j = 0; j < (languages?.length ?? 0); j++) add(`language "${languages[j]}" (${way})`);
      }
    }
    return `No model configured in navllm can serve these options${asked ? ` (asked for: ${asked})` : ""}.`;
  };

  // ---- Permissions policy ----------------------------------------------------------------

  // What a frame may use is permissions-policy.js's to say (see there for what a page script
  // can know of the policy, and what navllm does where it cannot).
  const policyAllows = () => ns.permissionsPolicy.allows("language-model");

  // ---- Sessions ------------------------------------------------------------------------------

  const sessionToken = Symbol("navllm session");
  const nextTask = () => new Promise((resolve) => setTimeoutNative(resolve, 0));

  class LanguageModel extends NativeEventTarget {
    #id;
    #usage;
    #window;
    #samplingMode;
    #inputTypes;
    #core;
    #seeded;
    #destroyed = null;
    #order = Promise.resolve();
    #inflight = new Set();
    #handlers = { __proto__: null, contextoverflow: null, quotaoverflow: null };

    // `seeded`: whether the session has initial prompts, which are never evicted; a system
    // message can then never open a call's input. (Whether turns are in the history by the time a
    // call runs, the host knows, and refuses a system message then with the same TypeError.)
    constructor(token, info, core, createSignal, seeded) {
      if (token !== sessionToken) throw new TypeError("Illegal constructor.");
      super();
      this.#seeded = seeded;
      this.#id = info.session;
      this.#usage = info.contextUsage;
      this.#window = info.contextWindow;
      this.#core = core;
      this.#samplingMode = core.samplingMode ?? "balanced";
      this.#inputTypes = declaredInputs(core);
      if (createSignal !== undefined) {
        I.apply(I.addEventListener, createSignal, ["abort", () => this.#end(abortReason(createSignal)), { once: true }]);
      }
    }

    // ---- statics ----

    static availability(options = {}) {
      try {
        requireActive();
        const core = coreOptions(options, "availability");
        if (!policyAllows()) return Promise.resolve("unavailable");
        return askAvailability({ options: wireOptions(core) });
      } catch (err) {
        return Promise.reject(err);
      }
    }

    static create(options = {}) {
      try {
        requireActive();
        const core = coreOptions(options, "create");
        const initial = core.dict.initialPrompts === undefined ? [] : sequence(core.dict.initialPrompts, "initialPrompts");
        return LanguageModel.#begin(core, initial, signalOption(core.dict, "create options"), core.dict.monitor, true);
      } catch (err) {
        return Promise.reject(err);
      }
    }

    // The synchronous steps of create(), in the specification's order, then the rest.
    // `policed`: whether the 'language-model' permissions policy applies (not to navigator.llm,
    // whose frames are governed by the host's delegation rules alone).
    static #begin(core, initial, signal, monitor, policed) {
      requireToolCallOutput(core);
      const initialMessages = initial.length === 0 ? [] : messages(initial, declaredInputs(core), { allowPrefix: false });
      if (aborted(signal)) return Promise.reject(abortReason(signal));
      if (policed && !policyAllows()) throw domError("NotAllowedError", "The 'language-model' permissions policy does not allow this frame to use the Prompt API.");
      let monitorTarget = null;
      if (monitor !== undefined) {
        if (typeof monitor !== "function") throw new TypeError("monitor must be a function.");
        monitorTarget = newMonitor();
        monitor(monitorTarget);
      }
      return LanguageModel.#open(core, initialMessages, signal, progressReporter(monitorTarget));
    }

    static {
      // navigator.llm (llm.js) opens its sessions through the same engine.
      ns.promptEngine = freeze({
        __proto__: null,
        open: (core, initial, signal, monitor) => {
          requireActive();
          return LanguageModel.#begin(core, initial, signal, monitor, false);
        },
        toolList,
        responseConstraint,
      });
    }

    static async #open(core, initialMessages, signal, progress) {
      const body = { options: wireOptions(core) };
      const state = await request("availability", body);
      if (state === "unavailable") throw domError("NotSupportedError", unsupportedMessage(core));
      if (state === "downloadable" && sticky && !I.apply(sticky, userActivation, [])) {
        throw domError("NotAllowedError", "Downloading the model needs a user gesture on this page first.");
      }
      if (aborted(signal)) throw abortReason(signal);
      progress.start();
      const encoded = await encodeMessages(initialMessages);
      try {
        const info = await request("create", { ...body, initialPrompts: encoded }, { signal, onProgress: progress.update });
        progress.finish();
        // Let listeners of the final event act (they may abort) before the session is handed out.
        await nextTask();
        if (aborted(signal)) {
          request("destroy", { session: info.session }).catch(() => {});
          throw abortReason(signal);
        }
        return new LanguageModel(sessionToken, info, core, signal, initialMessages.length > 0);
      } finally {
        progress.stop();
      }
    }

    // ---- attributes ----

    get contextUsage() {
      return this.#usage;
    }
    get contextWindow() {
      return this.#window;
    }
    get inputUsage() {
      return this.#usage;
    }
    get inputQuota() {
      return this.#window;
    }
    get samplingMode() {
      return this.#samplingMode;
    }
    get topK() {
      return undefined;
    }
    get temperature() {
      return undefined;
    }

    get oncontextoverflow() {
      return this.#handlers.contextoverflow;
    }
    set oncontextoverflow(value) {
      this.#setHandler("contextoverflow", value);
    }
    get onquotaoverflow() {
      return this.#handlers.quotaoverflow;
    }
    set onquotaoverflow(value) {
      this.#setHandler("quotaoverflow", value);
    }

    #setHandler(type, value) {
      if (this.#handlers[type]) I.apply(unlisten, this, [type, this.#handlers[type]]);
      this.#handlers[type] = typeof value === "function" || isObject(value) ? value : null;
      if (this.#handlers[type]) I.apply(listen, this, [type, this.#handlers[type]]);
    }

    #overflowed = () => {
      I.apply(dispatch, this, [new NativeEvent("contextoverflow")]);
      I.apply(dispatch, this, [new NativeEvent("quotaoverflow")]);
    };

    // ---- calls ----

    // Encoding media takes time; calls still reach the host in the order they were made
    // (each call's request is sent as soon as its encoding, after the earlier ones', is done).
    #encodeInOrder(list) {
      const encoded = I.apply(I.then, this.#order, [() => encodeMessages(list)]);
      this.#order = I.apply(I.then, encoded, [() => {}, () => {}]);
      return encoded;
    }

    // Runs one host request for this session. The call ends with the caller's abort reason,
    // or with the session's end reason (destroy, or the create signal), exactly as given.
    async #call(type, body, signal, extra = {}) {
      if (this.#destroyed) throw this.#destroyed;
      if (aborted(signal)) throw abortReason(signal);
      const controller = new AbortController();
      const stop = () => controller.abort(abortReason(signal));
      if (signal !== undefined) I.apply(I.addEventListener, signal, ["abort", stop, { once: true }]);
      this.#inflight.add(controller);
      try {
        return await request(type, { session: this.#id, ...body }, { ...extra, signal: controller.signal });
      } catch (err) {
        if (controller.signal.aborted) throw controller.signal.reason;
        throw err;
      } finally {
        this.#inflight.delete(controller);
        if (signal !== undefined) I.apply(I.removeEventListener, signal, ["abort", stop]);
      }
    }

    #end(reason) {
      if (this.#destroyed) return;
      this.#destroyed = reason;
      for (const controller of this.#inflight) controller.abort(reason);
      this.#inflight.clear();
      request("destroy", { session: this.#id }).catch(() => {});
    }

    // `adds`: whether the call adds its input to the history (prompt, append), which a system
    // message may then open only while the history is empty.
    #check(input, options, what, { allowPrefix, adds }) {
      if (this.#destroyed) throw this.#destroyed;
      requireActive();
      const dict = dictionary(options, `${what} options`);
      const list = messages(input, this.#inputTypes, { allowPrefix });
      if (adds && this.#seeded && list[0].role === "system") {
        throw new TypeError("A system message can only come first in a session, before any other input.");
      }
      return { dict, list, signal: signalOption(dict, `${what} options`) };
    }

    // Checks a prompt synchronously; `run(signal, onChunk)` then generates the reply.
    #generation(input, options) {
      const { dict, list, signal } = this.#check(input, options, "prompt", { allowPrefix: true, adds: true });
      const { constraint, omit } = responseConstraint(dict);
      return {
        signal,
        run: async (runSignal, onChunk) => {
          const encoded = await this.#encodeInOrder(list);
          const body = { input: encoded, omitResponseConstraintInput: omit };
          if (constraint) body.responseConstraint = constraint;
          const done = await this.#call("prompt", body, runSignal, { onChunk, onEvent: this.#overflowed });
          this.#usage = done.contextUsage;
        },
      };
    }

    prompt(input, options = {}) {
      let text = "";
      const calls = [];
      const onChunk = (chunk) => {
        if (typeof chunk.delta === "string") text += chunk.delta;
        if (chunk.toolCall) calls.push(toolCallPart(chunk.toolCall));
      };
      try {
        if (arguments.length === 0) throw new TypeError("prompt() needs an input.");
        const { signal, run } = this.#generation(input, options);
        return run(signal, onChunk).then(() => (calls.length ? [...(text ? [{ type: "text", value: text }] : []), ...calls] : text));
      } catch (err) {
        return Promise.reject(err);
      }
    }

    promptStreaming(input, options = {}) {
      if (arguments.length === 0) throw new TypeError("promptStreaming() needs an input.");
      let controllerRef;
      const onChunk = (chunk) => {
        if (typeof chunk.delta === "string" && chunk.delta !== "") controllerRef.enqueue(chunk.delta);
        if (chunk.toolCall) controllerRef.enqueue(toolCallPart(chunk.toolCall));
      };
      const { signal, run } = this.#generation(input, options);
      if (aborted(signal)) throw abortReason(signal);
      // cancel() on the stream stops the work without an error reaching anyone.
      const cancelled = new AbortController();
      const combined = signal === undefined ? cancelled.signal : I.AbortSignal.any([signal, cancelled.signal]);
      return new I.ReadableStream({
        start: (controller) => {
          controllerRef = controller;
          run(combined, onChunk).then(
            () => controller.close(),
            (err) => {
              if (!cancelled.signal.aborted) controller.error(err);
            },
          );
        },
        cancel: () => cancelled.abort(),
      });
    }

    append(input, options = {}) {
      try {
        if (arguments.length === 0) throw new TypeError("append() needs an input.");
        const { list, signal } = this.#check(input, options, "append", { allowPrefix: false, adds: true });
        return (async () => {
          const encoded = await this.#encodeInOrder(list);
          const done = await this.#call("append", { input: encoded }, signal, { onEvent: this.#overflowed });
          this.#usage = done.contextUsage;
        })();
      } catch (err) {
        return Promise.reject(err);
      }
    }

    measureContextUsage(input, options = {}) {
      try {
        if (arguments.length === 0) throw new TypeError("measureContextUsage() needs an input.");
        const { dict, list, signal } = this.#check(input, options, "measureContextUsage", { allowPrefix: true, adds: false });
        const { constraint, omit } = responseConstraint(dict);
        return (async () => {
          const body = { input: await this.#encodeInOrder(list), omitResponseConstraintInput: omit };
          if (constraint) body.responseConstraint = constraint;
          return this.#call("measure", body, signal);
        })();
      } catch (err) {
        return Promise.reject(err);
      }
    }

    measureInputUsage(input, options = {}) {
      return this.measureContextUsage(input, options);
    }

    clone(options = {}) {
      try {
        if (this.#destroyed) throw this.#destroyed;
        requireActive();
        const signal = signalOption(dictionary(options, "clone options"), "clone options");
        return (async () => {
          const info = await this.#call("clone", {}, signal);
          if (aborted(signal)) {
            request("destroy", { session: info.session }).catch(() => {});
            throw abortReason(signal);
          }
          return new LanguageModel(sessionToken, info, this.#core, signal, this.#seeded);
        })();
      } catch (err) {
        return Promise.reject(err);
      }
    }

    destroy() {
      this.#end(destroyedError());
    }
  }

  defineProperty(LanguageModel.prototype, Symbol.toStringTag, { value: "LanguageModel", configurable: true });

  const exported = { LanguageModel, LanguageModelToolSuccess, LanguageModelToolError, LanguageModelToolCall };
  for (const name of Object.keys(exported)) ns.provide(name, exported[name]);

  // Where the browser has its own Prompt API, navllm's takes its place only when the user
  // asked for it: prefer-polyfill.js, registered by the background while the setting is on,
  // leaves a marker (if it ran first) or fires an event (if it runs after these scripts).
  if (typeof globalThis.LanguageModel === "function") {
    const PREFER = Symbol.for("navllm.preferPolyfill");
    const takeOver = () => {
      for (const name of Object.keys(exported)) {
        defineProperty(globalThis, name, { value: exported[name], writable: true, configurable: true, enumerable: false });
      }
      delete globalThis[PREFER];
    };
    if (globalThis[PREFER] === true) takeOver();
    else I.apply(I.addEventListener, I.window, ["navllm-prefer-polyfill", takeOver, { once: true }]);
  }
})();
