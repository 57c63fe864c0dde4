// MAIN world: what the task APIs (Summarizer, Writer, Rewriter, Proofreader, Translator,
// LanguageDetector) share, after the Writing Assistance APIs' "shared infrastructure":
//
//   ns.aiModel.defineTask(spec) -> the class for one API, built from a description
//     (writing-assistance.js, proofreader.js, translator.js, language-detector.js give them):
//       name, kind (the wire's TaskOptions.kind), feature (the permissions policy feature),
//       transient (creating from "downloadable" needs transient activation, not sticky),
//       core: [[member, converter], ...] of the CreateCoreOptions dictionary, in the
//         lexicographic order WebIDL converts them; sharedContext: whether create takes one,
//       tags: the members holding language tags, in the order the spec validates them,
//       context: whether the per-call options have `context`,
//       attributes: {name: (options) => value} read off the canonical options,
//       methods: {name: "text" | "stream" | "measure" | "result"}; spec.result(data, input) and
//         spec.empty(input) shape what a "result" method returns, spec.blank(input) what a
//         "text" or "stream" one gives for blank input ("" unless given).
//   It also registers ns.tasks[kind] = {create, availability}: navigator.llm (llm.js) creates
//   through it with a provider/model choice and without the permissions policy.
//
// Everything is checked in the specification's order (WebIDL conversion: TypeError; then fully
// active: InvalidStateError; language tags: RangeError; signal; permissions policy), and only
// built-ins captured before any page script ran are used. The host does the model work; a task
// instance lives there like a Prompt API session (destroyed with `destroy {session}`).
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const { request } = ns.transport;
  const { abortReason } = ns.errors;
  const { dictionary, sequence, enumeration, signalOption, domError, isObject } = ns.promptInput;
  const { TypeError, Promise, freeze, defineProperty, getOwnPropertyDescriptor } = I;
  const canonicalLocales = Intl.getCanonicalLocales;
  const setTimeoutNative = globalThis.setTimeout;
  const perf = globalThis.performance;
  const perfNow = Performance.prototype.now;
  const nowMs = () => I.apply(perfNow, perf, []);
  const NativeEventTarget = EventTarget;
  const NativeProgressEvent = ProgressEvent;
  const NativeAbortController = AbortController;
  const abortController = AbortController.prototype.abort;
  const controllerSignal = getOwnPropertyDescriptor(AbortController.prototype, "signal").get;
  const anySignal = AbortSignal.any;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const listen = EventTarget.prototype.addEventListener;
  const unlisten = EventTarget.prototype.removeEventListener;
  const streamController = ReadableStreamDefaultController.prototype;
  const { enqueue, close: closeStream, error: errorStream } = streamController;
  const userActivation = I.navigator.userActivation;
  const activationGetter = (name) => (typeof UserActivation === "function" ? getOwnPropertyDescriptor(UserActivation.prototype, name)?.get : undefined);
  const isActive = activationGetter("isActive");
  const hasBeenActive = activationGetter("hasBeenActive");
  const WeakMapGet = WeakMap.prototype.get;
  const WeakMapSet = WeakMap.prototype.set;
  const WeakMapHas = WeakMap.prototype.has;

  const PROGRESS_STEP = 0x10000;
  const PROGRESS_INTERVAL_MS = 50;

  const aborted = (signal) => signal !== undefined && I.apply(I.signalAborted, signal, []);
  const nextTask = () => new Promise((resolve) => setTimeoutNative(resolve, 0));
  const ignore = () => {};

  // ---- WebIDL-style conversions --------------------------------------------------------------

  // DOMString: what String() gives, but a Symbol is a TypeError (as a template literal makes it).
  const domString = (value) => `${value}`;

  const member = {
    enumeration: (values, fallback) => (value, what) => (value === undefined ? fallback : enumeration(value, values, what)),
    boolean: (fallback) => (value) => (value === undefined ? fallback : !!value),
    string: () => (value) => (value === undefined ? undefined : domString(value)),
    required: () => (value, what) => {
      if (value === undefined) throw new TypeError(`${what} is required.`);
      return domString(value);
    },
    strings: () => (value, what) => (value === undefined ? undefined : sequence(value, what).map(domString)),
  };

  const fullyActive = () => {
    try {
      return globalThis.document?.defaultView === globalThis;
    } catch {
      return false;
    }
  };

  const requireActive = () => {
    if (!fullyActive()) throw domError("InvalidStateError", "The document is not fully active.");
  };

  // "Validate and canonicalize language tags": invalid tags are a RangeError, valid ones are
  // canonicalised ('EN-us' -> 'en-US') and a list loses its repeats.
  const canonicalise = (options, key) => {
    const value = options[key];
    if (value === undefined) return;
    options[key] = I.isArray(value) ? canonicalLocales(value) : canonicalLocales(value)[0];
  };

  // A dictionary read the WebIDL way: every member in order, defaults filled in.
  const convertMembers = (dict, members, out, what) => {
    for (const [key, convert] of members) {
      const value = convert(dict[key], `${what}.${key}`);
      if (value !== undefined) out[key] = value;
    }
    return out;
  };

  const monitorMember = (value) => {
    if (value === undefined) return undefined;
    if (typeof value !== "function") throw new TypeError("monitor must be a function.");
    return value;
  };

  // CreateOptions: the core members, then the derived dictionary's (monitor, sharedContext, signal).
  const createMembers = (spec) => {
    const members = [["monitor", monitorMember]];
    if (spec.sharedContext) members[members.length] = ["sharedContext", member.string()];
    members[members.length] = ["signal", (value) => signalOption({ signal: value }, "create options")];
    return members;
  };

  // ---- Permissions policy and activation ---------------------------------------------------

  const policyAllows = (feature) => ns.permissionsPolicy.allows(feature);

  // Read when create() is called: transient activation lasts only seconds, and the host's answer
  // whether the model is "downloadable" comes later. A browser without the UserActivation API
  // is not asked.
  const activationNow = () => ({
    transient: isActive ? I.apply(isActive, userActivation, []) : true,
    sticky: hasBeenActive ? I.apply(hasBeenActive, userActivation, []) : true,
  });

  // ---- Download progress ---------------------------------------------------------------------

  const monitorToken = Symbol("navllm monitor");

  class CreateMonitor extends NativeEventTarget {
    #handler = null;
    constructor(token) {
      if (token !== monitorToken) throw new TypeError("Illegal constructor.");
      super();
    }
    get ondownloadprogress() {
      return this.#handler;
    }
    set ondownloadprogress(value) {
      if (this.#handler) I.apply(unlisten, this, ["downloadprogress", this.#handler]);
      this.#handler = typeof value === "function" || isObject(value) ? value : null;
      if (this.#handler) I.apply(listen, this, ["downloadprogress", this.#handler]);
    }
  }
  defineProperty(CreateMonitor.prototype, Symbol.toStringTag, { value: "CreateMonitor", configurable: true });

  // Fires 0 first and 1 last, strictly increasing multiples of 1/65536, at most one
  // intermediate event per 50 ms, and nothing once stopped (created or aborted).
  const progressReporter = (monitor) => {
    let last = -1;
    let lastAt = -Infinity;
    let stopped = false;
    const fire = (loaded) => {
      if (stopped || monitor === null || loaded <= last) return;
      last = loaded;
      lastAt = nowMs();
      const event = new NativeProgressEvent("downloadprogress", { loaded, total: 1, lengthComputable: true });
      // Browsers whose ProgressEvent keeps integer byte counts would truncate the fraction.
      if (event.loaded !== loaded) defineProperty(event, "loaded", { value: loaded });
      if (event.total !== 1) defineProperty(event, "total", { value: 1 });
      I.apply(dispatch, monitor, [event]);
    };
    return {
      start: () => fire(0),
      update: (fraction) => {
        if (last < 0) fire(0);
        const loaded = Math.floor(Math.min(Math.max(Number(fraction) || 0, 0), 1) * PROGRESS_STEP) / PROGRESS_STEP;
        if (loaded < 1 && nowMs() - lastAt >= PROGRESS_INTERVAL_MS) fire(loaded);
      },
      finish: () => {
        if (last < 0) fire(0);
        fire(1);
      },
      stop: () => {
        stopped = true;
      },
    };
  };

  // ---- The host's side of one instance -------------------------------------------------------

  // Only whitespace and control characters: nothing a model could work on (the host agrees).
  const BLANK = /^[\s\p{C}\p{Z}]*$/u;
  const regexpTest = RegExp.prototype.test;
  const isBlank = (input) => I.apply(regexpTest, BLANK, [input]);

  // The calls of this frame's task instances run at most CALL_SLOTS at a time; the others wait
  // here in order, and one whose signal aborts while waiting leaves with the signal's reason. The
  // host bounds what one origin has in flight (QuotaExceededError beyond), so a page that starts
  // many calls at once (every paragraph translated through Promise.all) waits instead of failing.
  const CALL_SLOTS = 8;
  const waiting = I.create(null);
  let waitHead = 0;
  let waitTail = 0;
  let calling = 0;
  const nextCall = () => {
    calling--;
    while (waitHead < waitTail) {
      const start = waiting[waitHead];
      delete waiting[waitHead++];
      if (start !== undefined) {
        start();
        return;
      }
    }
  };
  const hostCall = (type, body, options) =>
    new Promise((resolve, reject) => {
      const start = () => {
        calling++;
        I.apply(I.then, request(type, body, options), [
          (data) => {
            nextCall();
            resolve(data);
          },
          (err) => {
            nextCall();
            reject(err);
          },
        ]);
      };
      if (calling < CALL_SLOTS) {
        start();
        return;
      }
      const signal = options.signal;
      if (aborted(signal)) {
        reject(abortReason(signal));
        return;
      }
      const slot = waitTail++;
      const onAbort = () => {
        delete waiting[slot];
        reject(abortReason(signal));
      };
      waiting[slot] = () => {
        I.apply(I.removeEventListener, signal, ["abort", onAbort]);
        start();
      };
      I.apply(I.addEventListener, signal, ["abort", onAbort, { once: true }]);
    });

  // One task instance in the host: its calls, each ended by the call's own signal or by the
  // instance's destruction (destroy(), or the create signal aborting), with exactly that reason.
  class TaskCore {
    #id;
    #quota;
    #destruction = new NativeAbortController();
    #ended = false;

    constructor(info, createSignal) {
      this.#id = own(info, "task");
      const quota = own(info, "inputQuota");
      this.#quota = typeof quota === "number" ? quota : Infinity;
      if (createSignal !== undefined) {
        // Aborting the create signal later destroys the instance with the signal's reason.
        if (aborted(createSignal)) this.destroy(abortReason(createSignal));
        else I.apply(I.addEventListener, createSignal, ["abort", () => this.destroy(abortReason(createSignal)), { once: true }]);
      }
    }

    get inputQuota() {
      return this.#quota;
    }

    destroy(reason) {
      I.apply(abortController, this.#destruction, [reason]);
      if (this.#ended) return;
      this.#ended = true;
      request("destroy", { session: this.#id }).catch(ignore);
    }

    // The steps every call starts with: fully active, then the composite of the destruction
    // signal and the call's signal, whose reason a call already aborted throws.
    #composite(signal) {
      requireActive();
      const destruction = I.apply(controllerSignal, this.#destruction, []);
      const composite = signal === undefined ? destruction : I.apply(anySignal, I.AbortSignal, [[destruction, signal]]);
      if (aborted(composite)) throw abortReason(composite);
      return composite;
    }

    #body(input, context) {
      const body = { task: this.#id, input };
      if (context !== undefined) body.context = context;
      return body;
    }

    // "Get an aggregated AI model result": the text of every delta, once the host is done.
    // Blank input (nothing a model could work on) gets `blank(input)` without asking the host.
    text(input, context, signal, blank) {
      try {
        const composite = this.#composite(signal);
        if (isBlank(input)) return Promise.resolve(blank(input));
        let text = "";
        const onChunk = (chunk) => {
          if (typeof chunk.delta === "string") text += chunk.delta;
        };
        return I.apply(I.then, hostCall("task-run", this.#body(input, context), { signal: composite, onChunk }), [() => text]);
      } catch (err) {
        return Promise.reject(err);
      }
    }

    // "Get a streaming AI model result": the deltas as they come; errors on abort (cancel() does not).
    stream(input, context, signal, blank) {
      const composite = this.#composite(signal);
      if (isBlank(input)) {
        const text = blank(input);
        return new I.ReadableStream({
          start: (controller) => {
            if (text !== "") I.apply(enqueue, controller, [text]);
            I.apply(closeStream, controller, []);
          },
        });
      }
      const cancelled = new NativeAbortController();
      const cancelSignal = I.apply(controllerSignal, cancelled, []);
      const combined = I.apply(anySignal, I.AbortSignal, [[composite, cancelSignal]]);
      return new I.ReadableStream({
        start: (controller) => {
          const onChunk = (chunk) => {
            if (typeof chunk.delta === "string" && chunk.delta !== "") I.apply(enqueue, controller, [chunk.delta]);
          };
          I.apply(I.then, hostCall("task-run", this.#body(input, context), { signal: combined, onChunk }), [
            () => I.apply(closeStream, controller, []),
            (err) => {
              if (!aborted(cancelSignal)) I.apply(errorStream, controller, [err]);
            },
          ]);
        },
        cancel: () => I.apply(abortController, cancelled, []),
      });
    }

    // A call whose answer is the host's `done` data, shaped by `result`; blank input gets `empty`.
    result(input, signal, result, empty) {
      try {
        const composite = this.#composite(signal);
        if (isBlank(input)) return Promise.resolve(empty(input));
        return I.apply(I.then, hostCall("task-run", this.#body(input, undefined), { signal: composite }), [(data) => result(data, input)]);
      } catch (err) {
        return Promise.reject(err);
      }
    }

    // "Measure AI model input usage".
    measure(input, context, signal) {
      try {
        const composite = this.#composite(signal);
        return hostCall("task-measure", this.#body(input, context), { signal: composite });
      } catch (err) {
        return Promise.reject(err);
      }
    }
  }

  // ---- Creation and availability -----------------------------------------------------------

  // The host's TaskOptions: the kind, the model choice (navigator.llm's) and every core option
  // with a value (empty language lists are left out).
  const wireOptions = (spec, options, choice) => {
    const wire = { kind: spec.kind };
    if (choice?.provider !== undefined) wire.provider = choice.provider;
    if (choice?.model !== undefined) wire.model = choice.model;
    for (const [key] of spec.core) {
      const value = options[key];
      if (value === undefined || (I.isArray(value) && value.length === 0)) continue;
      wire[key] = value;
    }
    return wire;
  };

  // The host answers NotAllowedError for a page that can never be allowed: "unavailable" here.
  const askAvailability = (body) =>
    I.apply(I.then, request("task-availability", body), [
      undefined,
      (err) => {
        if (err instanceof I.DOMException && I.apply(I.domExceptionName, err, []) === "NotAllowedError") return "unavailable";
        throw err;
      },
    ]);

  // IDL conversion, fully active, then the tags: what availability() and create() start with.
  const readOptions = (spec, raw, members) => {
    const dict = dictionary(raw, `${spec.name} options`);
    const options = convertMembers(dict, spec.core, { __proto__: null }, spec.name);
    if (members) convertMembers(dict, members, options, spec.name);
    requireActive();
    for (const key of spec.tags) canonicalise(options, key);
    return options;
  };

  const availability = (spec, raw, choice, policed) => {
    try {
      const options = readOptions(spec, raw, null);
      if (policed && !policyAllows(spec.feature)) return Promise.resolve("unavailable");
      return askAvailability({ options: wireOptions(spec, options, choice) });
    } catch (err) {
      return Promise.reject(err);
    }
  };

  // "Create an AI model object". `build(info, options, signal)` makes the instance.
  const create = (spec, raw, choice, policed, build) => {
    try {
      const options = readOptions(spec, raw, createMembers(spec));
      const signal = options.signal;
      if (aborted(signal)) return Promise.reject(abortReason(signal));
      if (policed && !policyAllows(spec.feature)) {
        throw domError("NotAllowedError", `The '${spec.feature}' permissions policy does not allow this frame to use ${spec.name}.`);
      }
      const activation = activationNow();
      let monitor = null;
      if (options.monitor !== undefined) {
        monitor = new CreateMonitor(monitorToken);
        options.monitor(monitor);
      }
      const progress = progressReporter(monitor);
      return new Promise((resolve, reject) => {
        // An abort while creating rejects at once (and no progress event fires after it).
        if (signal !== undefined) {
          I.apply(I.addEventListener, signal, ["abort", () => {
            progress.stop();
            reject(abortReason(signal));
          }, { once: true }]);
        }
        I.apply(I.then, open(spec, options, choice, activation, progress), [(info) => resolve(build(info, options, signal)), reject]);
      });
    } catch (err) {
      return Promise.reject(err);
    }
  };

  // What create() says when no model serves the options, naming the languages asked for: what a
  // small text model usually lacks (the on-device model reads and writes English only).
  const unsupportedMessage = (spec, wire) => {
    if (spec.kind === "translator") {
      return `No model configured in navllm can translate from "${wire.sourceLanguage}" to "${wire.targetLanguage}".`;
    }
    let languages = "";
    for (const key of spec.tags) {
      const value = wire[key];
      const list = I.isArray(value) ? value : value === undefined ? [] : [value];
      for (let i = 0; i < list.length; i++) languages += `${languages ? ", " : ""}"${list[i]}"`;
    }
    return `No model configured in navllm can serve these ${spec.name} options${languages ? ` (languages asked for: ${languages})` : ""}.`;
  };

  const open = async (spec, options, choice, activation, progress) => {
    const signal = options.signal;
    const wire = wireOptions(spec, options, choice);
    try {
      const state = await request("task-availability", { options: wire }, { signal });
      if (state === "unavailable") throw domError("NotSupportedError", unsupportedMessage(spec, wire));
      if (state === "downloadable" && !(spec.transient ? activation.transient : activation.sticky)) {
        throw domError("NotAllowedError", `Downloading the ${spec.name} model needs ${spec.transient ? "a user gesture" : "a user gesture on this page first"}.`);
      }
      if (aborted(signal)) throw abortReason(signal);
      progress.start();
      if (options.sharedContext !== undefined) wire.sharedContext = options.sharedContext;
      const info = await request("task-create", { options: wire }, { signal, onProgress: progress.update });
      progress.finish();
      // Let listeners of the final event act (they may abort) before the instance is handed out.
      await nextTask();
      if (aborted(signal)) {
        request("destroy", { session: own(info, "task") }).catch(ignore);
        throw abortReason(signal);
      }
      return info;
    } finally {
      progress.stop();
    }
  };

  // ---- Installation ------------------------------------------------------------------------

  // Installed where the browser has no such API. Where it has its own, navllm's takes its place
  // only while the user asks for it (prefer-polyfill.js, as for LanguageModel). The marker is
  // read now: language-model.js, which runs later, removes it.
  const PREFER = Symbol.for("navllm.preferPolyfill");
  const preferNow = globalThis[PREFER] === true;
  const installAs = (name, value) => {
    ns.provide(name, value);
    if (typeof globalThis[name] !== "function") return;
    const takeOver = () => defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    if (preferNow) takeOver();
    else I.apply(I.addEventListener, I.window, ["navllm-prefer-polyfill", takeOver, { once: true }]);
  };
  installAs("CreateMonitor", CreateMonitor);

  // ---- The classes ---------------------------------------------------------------------------

  const frozenList = (list) => (list === undefined || list.length === 0 ? null : freeze([...list]));
  const orNull = (value) => (value === undefined ? null : value);

  const tasks = I.create(null);

  const defineTask = (spec) => {
    const token = Symbol(spec.name);
    const state = new WeakMap(); // instance -> {core, values}
    const stateOf = (instance) => {
      if (!isObject(instance) || !I.apply(WeakMapHas, state, [instance])) throw new TypeError("Illegal invocation.");
      return I.apply(WeakMapGet, state, [instance]);
    };
    const blankText = spec.blank ?? (() => "");
    const callMembers = [...(spec.context ? [["context", member.string()]] : []), ["signal", (value) => signalOption({ signal: value }, "options")]];

    const Task = {
      [spec.name]: class {
        constructor(key, core, values) {
          if (key !== token) throw new TypeError("Illegal constructor.");
          I.apply(WeakMapSet, state, [this, freeze({ __proto__: null, core, values })]);
        }
      },
    }[spec.name];

    const build = (info, options, signal) => {
      const values = I.create(null);
      for (const name of I.Object.keys(spec.attributes)) values[name] = spec.attributes[name](options);
      return new Task(token, new TaskCore(info, signal), values);
    };

    const statics = {
      create(options = {}) {
        return create(spec, options, undefined, true, build);
      },
      availability(options = {}) {
        return availability(spec, options, undefined, true);
      },
    };
    if (spec.optionsRequired) {
      // A required dictionary (Translator's): create.length and availability.length are 1.
      statics.create = {
        create(options) {
          return create(spec, options, undefined, true, build);
        },
      }.create;
      statics.availability = {
        availability(options) {
          return availability(spec, options, undefined, true);
        },
      }.availability;
    }
    for (const name of ["create", "availability"]) {
      defineProperty(Task, name, { value: statics[name], writable: true, enumerable: true, configurable: true });
    }

    const proto = Task.prototype;
    for (const name of [...I.Object.keys(spec.attributes), "inputQuota"]) {
      const getter = {
        get [name]() {
          const { core, values } = stateOf(this);
          return name === "inputQuota" ? core.inputQuota : values[name];
        },
      };
      defineProperty(proto, name, { get: getOwnPropertyDescriptor(getter, name).get, enumerable: true, configurable: true });
    }

    const methods = {};
    for (const name of I.Object.keys(spec.methods)) {
      const kind = spec.methods[name];
      // The input is converted, then the options, then the method's steps run.
      const prepare = (self, args) => {
        const { core } = stateOf(self);
        if (args.length === 0) throw new TypeError(`${spec.name}.${name}() needs an input.`);
        const input = domString(args[0]);
        const options = convertMembers(dictionary(args[1], `${name} options`), callMembers, { __proto__: null }, `${name} options`);
        return { core, input, options };
      };
      const method = {
        [name](_input, _options = {}) {
          if (kind === "stream") {
            const call = prepare(this, arguments);
            return call.core.stream(call.input, call.options.context, call.options.signal, blankText);
          }
          try {
            const call = prepare(this, arguments);
            const { core, input: text, options: opts } = call;
            if (kind === "text") return core.text(text, opts.context, opts.signal, blankText);
            if (kind === "measure") return core.measure(text, opts.context, opts.signal);
            return core.result(text, opts.signal, spec.result, spec.empty);
          } catch (err) {
            return Promise.reject(err);
          }
        },
      }[name];
      methods[name] = method;
      defineProperty(proto, name, { value: method, writable: true, enumerable: true, configurable: true });
    }
    const destroy = {
      destroy() {
        stateOf(this).core.destroy(domError("AbortError", `The ${spec.name} has been destroyed.`));
      },
    }.destroy;
    defineProperty(proto, "destroy", { value: destroy, writable: true, enumerable: true, configurable: true });
    defineProperty(proto, Symbol.toStringTag, { value: spec.name, configurable: true });
    freeze(spec);

    tasks[spec.kind] = freeze({
      __proto__: null,
      name: spec.name,
      // navigator.llm: a provider/model choice, and no permissions policy (its frames are
      // governed by the host's delegation rules alone).
      create: (options, choice) => create(spec, options, choice, false, build),
      availability: (options, choice) => availability(spec, options, choice, false),
    });
    installAs(spec.name, Task);
    return Task;
  };

  ns.tasks = tasks;
  // LanguageModel's create() reports its progress through the same monitor.
  const newMonitor = () => new CreateMonitor(monitorToken);
  ns.aiModel = freeze({ __proto__: null, defineTask, member, frozenList, orNull, domString, newMonitor, progressReporter, requireActive });
})();
