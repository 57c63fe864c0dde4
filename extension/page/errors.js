// MAIN world: turn a host error {name, message, details} into what the Prompt API throws:
// a DOMException with that name, a TypeError / RangeError, or a QuotaExceededError.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const own = ns.own;

  // Browsers that predate the QuotaExceededError interface get this one: a DOMException
  // (code 22 comes with the name) carrying the quota and what was requested.
  let QuotaExceeded = globalThis.QuotaExceededError;
  if (typeof QuotaExceeded !== "function") {
    QuotaExceeded = class QuotaExceededError extends I.DOMException {
      #quota;
      #requested;
      constructor(message = "", options = {}) {
        super(message, "QuotaExceededError");
        this.#quota = options?.quota ?? null;
        this.#requested = options?.requested ?? null;
      }
      get quota() {
        return this.#quota;
      }
      get requested() {
        return this.#requested;
      }
    };
    I.freeze(QuotaExceeded.prototype);
    ns.provide("QuotaExceededError", QuotaExceeded);
  }

  const fromWire = (error) => {
    const name = own(error, "name");
    const message = I.String(own(error, "message") ?? "navllm request failed");
    if (name === "TypeError") return new I.TypeError(message);
    if (name === "RangeError") return new I.RangeError(message);
    if (name === "QuotaExceededError") {
      const details = own(error, "details");
      return new QuotaExceeded(message, { quota: own(details, "quota"), requested: own(details, "requested") });
    }
    return new I.DOMException(message, typeof name === "string" ? name : "UnknownError");
  };

  const abortReason = (signal) => {
    const reason = I.apply(I.signalReason, signal, []);
    return reason === undefined ? new I.DOMException("The operation was aborted.", "AbortError") : reason;
  };

  ns.errors = I.freeze({ __proto__: null, fromWire, abortReason });
})();
