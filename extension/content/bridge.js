// Isolated world: the only door between a page and the extension.
//
// Accepts window messages only from this very window (not from child or parent frames)
// and only in the exact shape {navllm: 1, dir: "req"|"cancel", id, type, body}; anything
// else is ignored without a sound. One port per frame carries them to the background,
// which attaches the caller it reads from the browser, never from the message.
(() => {
  "use strict";
  const api = globalThis.browser ?? globalThis.chrome;
  // Captured now: the page shares the DOM, and later code must not depend on what it did to it.
  const { keys } = Object;
  const { isArray } = Array;
  const { isSafeInteger } = Number;
  const { stringify, parse } = JSON;
  const win = window;
  const post = win.postMessage.bind(win);

  const PAGE_TYPES = new Set(["availability", "params", "create", "prompt", "append", "measure", "clone", "destroy", "embed", "models", "ping"]);
  const MAX_MESSAGE = 8 * 1024 * 1024; // the host's input cap
  const ENVELOPE = ["body", "dir", "id", "navllm", "type"];

  let port = null;
  const inflight = new Set();

  const answer = (id, reply) => {
    try {
      // "*": the reply goes to this very window only; a named origin would be dropped in
      // sandboxed frames, whose real origin is opaque while location.origin is not.
      post({ navllm: 1, dir: "res", id, reply }, "*");
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

  // The message if it is a well-formed envelope, else null.
  const envelope = (data) => {
    if (!isObject(data) || data.navllm !== 1) return null;
    const fields = keys(data).sort();
    if (fields.length !== ENVELOPE.length || fields.some((key, i) => key !== ENVELOPE[i])) return null;
    if ((data.dir !== "req" && data.dir !== "cancel") || !isSafeInteger(data.id) || !PAGE_TYPES.has(data.type)) return null;
    return data;
  };

  const onRequest = (id, type, body) => {
    if (inflight.has(id)) return fail(id, "InvalidStateError", `request ${id} is already in flight`);
    if (!isObject(body)) return fail(id, "TypeError", "the request body must be a plain object");
    inflight.add(id);
    try {
      connect().postMessage({ id, type, body });
    } catch {
      inflight.delete(id);
      fail(id, "OperationError", "navllm extension is not available");
    }
  };

  win.addEventListener("message", (event) => {
    try {
      if (event.source !== win) return;
      const raw = event.data;
      if (raw === null || typeof raw !== "object" || raw.navllm !== 1 || raw.dir === "res") return;
      // Work on a private JSON copy: it drops anything the page could attach (getters,
      // prototypes, functions) and, in Firefox, leaves the page's compartment.
      const text = stringify(raw);
      if (text.length > MAX_MESSAGE) {
        if (raw.dir === "req" && isSafeInteger(raw.id)) {
          fail(raw.id, "QuotaExceededError", `the request is larger than ${MAX_MESSAGE} characters`, { quota: MAX_MESSAGE, requested: text.length });
        }
        return;
      }
      const data = envelope(parse(text));
      if (data === null) return;
      if (data.dir === "req") onRequest(data.id, data.type, data.body);
      else if (inflight.has(data.id) && port) port.postMessage({ cancel: data.id });
    } catch {
      // junk from the page never reaches past this point
    }
  });
})();
