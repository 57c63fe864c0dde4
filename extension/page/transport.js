// MAIN world: requests to the extension over a private MessagePort, answered by content/bridge.js.
//
// Handshake: these scripts run first at document_start (listed first in the manifest) and
// the bridge right after them, still before any page script. So this listens for ONE
// "navllm-channel" event on window; the bridge dispatches it, synchronously, carrying one end
// of a MessageChannel. The listener is gone once it has a port, so nothing the page
// dispatches later is heard, and the page never holds either end: its own `message`
// listeners see none of this traffic. Where no bridge ran, the first request closes the
// handshake and every request fails with OperationError.
//
// A request is {id, type, body}; {cancel: id} stops it. Replies come back as {id, reply}
// where reply is one host reply: chunk / progress / event before the terminal done / error.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;
  const pending = I.create(null);
  let lastId = 0;
  let port = null;

  const onReply = (event) => {
    const data = I.apply(I.messageData, event, []);
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

  const closeHandshake = () => I.apply(I.removeEventListener, I.window, ["navllm-channel", onChannel]);
  function onChannel(event) {
    closeHandshake(); // one event only, whatever it carries
    try {
      const ports = I.apply(I.messagePorts, event, []);
      if (own(ports, "length") !== 1) return;
      const given = own(ports, 0);
      I.apply(I.addEventListener, given, ["message", onReply]);
      I.apply(I.portStart, given, []);
      port = given;
    } catch {
      // not a MessageEvent with a port: no channel
    }
  }
  I.apply(I.addEventListener, I.window, ["navllm-channel", onChannel]);

  const post = (message) => {
    if (port === null) {
      closeHandshake();
      throw new I.DOMException("navllm is not available in this frame", "OperationError");
    }
    I.apply(I.portPostMessage, port, [message]);
  };

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
        post({ cancel: id });
        reject(reason);
      };
      if (signal !== undefined) I.apply(I.addEventListener, signal, ["abort", onAbort]);
      try {
        post({ id, type, body });
      } catch (err) {
        settle();
        reject(err); // no channel (OperationError) or a body that cannot be cloned (DataCloneError)
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
