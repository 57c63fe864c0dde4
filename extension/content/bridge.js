// Isolated world: the only door between a page and the extension.
//
// It runs at document_start right after the MAIN-world scripts and before any page script:
// it creates a MessageChannel and hands one end to page/transport.js in one synthetic
// "navllm-channel" event, whose listener takes it and goes away. Only that port is heard,
// so the page's own `message` listeners see nothing and nothing the page posts reaches here.
// Messages must have the exact shape {id, type, body} or {cancel: id}; anything else is
// ignored without a sound. One extension port per frame carries them to the background,
// which attaches the caller it reads from the browser, never from the message.
(() => {
  "use strict";
  const api = globalThis.browser ?? globalThis.chrome;
  // Captured now: the page shares the DOM, and later code must not depend on what it did to it.
  const { keys } = Object;
  const { isArray } = Array;
  const { isSafeInteger } = Number;
  const { stringify, parse } = JSON;

  const PAGE_TYPES = new Set(["availability", "params", "create", "prompt", "append", "measure", "clone", "destroy", "embed", "models", "task-availability", "task-create", "task-run", "task-measure"]);
  const MAX_MESSAGE = 8 * 1024 * 1024; // the host's input cap
  const MAX_INFLIGHT = 64; // per frame: a page looping on the API gets an error, not a growing queue

  const channel = new MessageChannel();
  const page = channel.port1;
  let port = null;
  const inflight = new Set();

  const answer = (id, reply) => {
    try {
      page.postMessage({ id, reply });
    } catch {
      // the frame is going away
    }
  };

  const fail = (id, name, message, details) => answer(id, { type: "error", error: { name, message, details } });

  const connect = () => {
    if (port) return port;
    port = api.runtime.connect({ name: "navllm-page" });
    port.onMessage.addListener((message) => {
      if (!message || !isSafeInteger(message.id) || !message.reply) return;
      const kind = message.reply.type;
      if (kind === "done" || kind === "error") inflight.delete(message.id);
      answer(message.id, message.reply);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      for (const id of inflight) fail(id, "OperationError", "navllm extension disconnected");
      inflight.clear();
    });
    return port;
  };

  const isObject = (value) => value !== null && typeof value === "object" && !isArray(value);
  const hasKeys = (data, want) => {
    const fields = keys(data).sort();
    return fields.length === want.length && fields.every((key, i) => key === want[i]);
  };

  const onRequest = (id, type, body) => {
    if (inflight.has(id)) return fail(id, "InvalidStateError", `request ${id} is already in flight`);
    if (!isObject(body)) return fail(id, "TypeError", "the request body must be a plain object");
    if (inflight.size >= MAX_INFLIGHT) {
      return fail(id, "QuotaExceededError", `more than ${MAX_INFLIGHT} navllm requests in flight in this frame`, { quota: MAX_INFLIGHT, requested: inflight.size + 1 });
    }
    inflight.add(id);
    try {
      connect().postMessage({ id, type, body });
    } catch {
      inflight.delete(id);
      fail(id, "OperationError", "navllm extension is not available");
    }
  };

  page.addEventListener("message", (event) => {
    try {
      // Work on a private JSON copy: it drops anything the page could attach (getters,
      // prototypes, functions) and, in Firefox, leaves the page's compartment.
      const text = stringify(event.data);
      if (typeof text !== "string") return;
      if (text.length > MAX_MESSAGE) {
        const id = event.data?.id;
        if (isSafeInteger(id)) fail(id, "QuotaExceededError", `the request is larger than ${MAX_MESSAGE} characters`, { quota: MAX_MESSAGE, requested: text.length });
        return;
      }
      const data = parse(text);
      if (!isObject(data)) return;
      if (hasKeys(data, ["cancel"])) {
        if (isSafeInteger(data.cancel) && inflight.has(data.cancel) && port) port.postMessage({ cancel: data.cancel });
      } else if (hasKeys(data, ["body", "id", "type"]) && isSafeInteger(data.id) && PAGE_TYPES.has(data.type)) {
        onRequest(data.id, data.type, data.body);
      }
    } catch {
      // junk never reaches past this point
    }
  });
  page.start();
  window.dispatchEvent(new MessageEvent("navllm-channel", { ports: [channel.port2] }));
})();
