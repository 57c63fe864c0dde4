// MAIN world: requests to the extension over window.postMessage, answered by content/bridge.js.
//
// A request is {navllm: 1, dir: "req", id, type, body}; {dir: "cancel", id, type} stops it.
// Replies come back as {navllm: 1, dir: "res", id, reply} where reply is one host reply:
// chunk / progress / event before the terminal done / error.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const pending = I.create(null);
  let lastId = 0;

  // "*" is safe: the message goes to this very window and nowhere else. A named origin would
  // break sandboxed frames, whose real origin is opaque while location.origin is not.
  const post = (message) => I.apply(I.postMessage, I.window, [message, "*"]);

  const onMessage = (event) => {
    if (I.apply(I.messageSource, event, []) !== I.window) return;
    const data = I.apply(I.messageData, event, []);
    if (own(data, "navllm") !== 1 || own(data, "dir") !== "res") return;
    const id = own(data, "id");
    const entry = I.isSafeInteger(id) ? pending[id] : undefined;
    if (entry === undefined) return;
    const reply = own(data, "reply");
    switch (own(reply, "type")) {
      case "chunk":
        entry.onChunk({ __proto__: null, delta: own(reply, "delta"), toolCall: own(reply, "toolCall") });
        break;
      case "progress":
        entry.onProgress(own(reply, "loaded"));
        break;
      case "event":
        entry.onEvent(own(reply, "name"));
        break;
      case "done":
        entry.settle();
        entry.resolve(own(reply, "data"));
        break;
      case "error":
        entry.settle();
        entry.reject(ns.errors.fromWire(own(reply, "error")));
        break;
    }
  };
  I.apply(I.addEventListener, I.window, ["message", onMessage]);

  const ignore = () => {};

  // `options` is read for own properties only: signal, onChunk, onProgress, onEvent.
  const request = (type, body, options) => {
    const signal = own(options, "signal");
    let cancel = ignore;
    return new I.Promise((resolve, reject) => {
      if (signal !== undefined && I.apply(I.signalAborted, signal, [])) {
        reject(ns.errors.abortReason(signal));
        return;
      }
      const id = ++lastId;
      const onAbort = () => cancel(ns.errors.abortReason(signal));
      const settle = () => {
        delete pending[id];
        cancel = ignore;
        if (signal !== undefined) I.apply(I.removeEventListener, signal, ["abort", onAbort]);
      };
      pending[id] = {
        __proto__: null,
        onChunk: own(options, "onChunk") ?? ignore,
        onProgress: own(options, "onProgress") ?? ignore,
        onEvent: own(options, "onEvent") ?? ignore,
        settle,
        resolve,
        reject,
      };
      cancel = (reason) => {
        settle();
        post({ navllm: 1, dir: "cancel", id, type, body: {} });
        reject(reason);
      };
      if (signal !== undefined) I.apply(I.addEventListener, signal, ["abort", onAbort]);
      try {
        post({ navllm: 1, dir: "req", id, type, body });
      } catch (err) {
        settle();
        reject(err); // a body that cannot be cloned (DataCloneError)
      }
    });
  };

  // The host refuses availability to a page that can never be allowed (NotAllowedError, which
  // create() surfaces as is); availability() itself just reports "unavailable" then.
  const availability = (body) =>
    I.apply(I.then, request("availability", body), [
      undefined,
      (err) => {
        if (err instanceof I.DOMException && I.apply(I.domExceptionName, err, []) === "NotAllowedError") return "unavailable";
        throw err;
      },
    ]);

  ns.transport = I.freeze({ __proto__: null, request, availability });
})();
