// MAIN world: navigator.llm, the small page surface:
//   availability() -> "unavailable" | "downloadable" | "downloading" | "available"
//   createSession({systemPrompt, temperature, topK, maxTokens, signal}) -> session
//   session.generate({prompt, signal}) -> string
//   session.generateStreaming({prompt, signal}) -> ReadableStream of text deltas (async-iterable)
//   session.destroy()
// It holds no secrets: every decision is made by the extension background and the host.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const { request, start } = ns.transport;

  const invalidState = (message) => new I.DOMException(message, "InvalidStateError");

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

  const optionalNumber = (value, name, integer) => {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || value !== value || (integer && !I.isSafeInteger(value))) {
      throw new I.TypeError(`${name} must be ${integer ? "an integer" : "a number"}`);
    }
    return value;
  };

  const userTurn = (prompt) => {
    if (typeof prompt !== "string") throw new I.TypeError("prompt must be a string");
    return [{ role: "user", content: [{ type: "text", value: prompt }] }];
  };

  const makeSession = (info) => {
    const id = own(info, "session");
    let destroyed = false;

    const promptRequest = (options) => {
      if (destroyed) throw invalidState("the session has been destroyed");
      const opts = dictionary(options, "options");
      return { signal: checkSignal(opts.signal, "options"), body: { session: id, input: userTurn(opts.prompt) } };
    };

    const generate = async (options) => {
      const { signal, body } = promptRequest(options);
      let text = "";
      const onChunk = (chunk) => {
        const delta = chunk.delta;
        if (typeof delta === "string") text += delta;
      };
      await request("prompt", body, { signal, onChunk });
      return text;
    };

    const generateStreaming = (options) => {
      const { signal, body } = promptRequest(options);
      let handle = null;
      return new I.ReadableStream({
        start(controller) {
          const onChunk = (chunk) => {
            const delta = chunk.delta;
            if (typeof delta === "string" && delta !== "") controller.enqueue(delta);
          };
          handle = start("prompt", body, { signal, onChunk });
          I.apply(I.then, handle.promise, [() => controller.close(), (err) => controller.error(err)]);
        },
        cancel(reason) {
          handle?.cancel(reason);
        },
      });
    };

    const destroy = () => {
      if (destroyed) return;
      destroyed = true;
      I.apply(I.then, request("destroy", { session: id }, {}), [undefined, () => {}]);
    };

    return I.freeze({ __proto__: null, generate, generateStreaming, destroy });
  };

  const availability = () => request("availability", { options: {} }, {});

  const createSession = async (options) => {
    const opts = dictionary(options, "options");
    const signal = checkSignal(opts.signal, "options");
    const sampling = { __proto__: null }; // no inherited setters from a poisoned Object.prototype
    const temperature = optionalNumber(opts.temperature, "temperature", false);
    const topK = optionalNumber(opts.topK, "topK", true);
    const maxTokens = optionalNumber(opts.maxTokens, "maxTokens", true);
    if (temperature !== undefined) sampling.temperature = temperature;
    if (topK !== undefined) sampling.topK = topK;
    if (maxTokens !== undefined) sampling.maxTokens = maxTokens;
    const systemPrompt = opts.systemPrompt;
    if (systemPrompt !== undefined && typeof systemPrompt !== "string") throw new I.TypeError("systemPrompt must be a string");
    const initialPrompts = systemPrompt === undefined ? [] : [{ role: "system", content: [{ type: "text", value: systemPrompt }] }];
    const info = await request("create", { options: { sampling }, initialPrompts }, { signal });
    return makeSession(info);
  };

  ns.define(I.navigator, "llm", I.freeze({ __proto__: null, availability, createSession }));
})();
