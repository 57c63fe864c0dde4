// MAIN world, first of the page scripts (document_start, before any page script runs).
//
// The page scripts share state through one temporary global, `__navllmBuild`, that
// `end.js` deletes before the page gets control. Its API:
//
//   ns.intrinsics   built-ins captured now, before the page can replace them
//                   (see the list below); later files use these, never the live globals.
//   ns.own(obj, key)  obj[key] if it is an own data property, else undefined: replies are
//                   read through it so a poisoned Object.prototype cannot inject fields.
//   ns.transport    set by transport.js: request(type, body, {signal, onChunk, onProgress,
//                   onEvent}) -> Promise<data>, where onChunk gets {delta} or {toolCall};
//                   an aborted signal rejects at once and cancels the work in the host.
//                   It talks to the bridge over a private MessagePort (see transport.js).
//   ns.errors       set by errors.js: fromWire({name, message, details}) -> Error,
//                   abortReason(signal) -> the signal's reason or an AbortError.
//   ns.define(target, name, value)   queue a frozen, non-writable, non-configurable
//                   property for end.js to install, unless target already has `name`.
//   ns.provide(name, value)          queue a global (writable, configurable, like a
//                   built-in constructor) that end.js installs only if missing.
(() => {
  "use strict";
  const O = Object;
  const intrinsics = O.freeze({
    Object: O,
    freeze: O.freeze,
    create: O.create,
    defineProperty: O.defineProperty,
    getOwnPropertyDescriptor: O.getOwnPropertyDescriptor,
    hasOwn: O.hasOwn,
    apply: Reflect.apply,
    Promise,
    then: Promise.prototype.then,
    TypeError,
    RangeError,
    DOMException,
    ReadableStream,
    isNaN: Number.isNaN,
    isSafeInteger: Number.isSafeInteger,
    isArray: Array.isArray,
    String,
    window: globalThis,
    addEventListener: EventTarget.prototype.addEventListener,
    removeEventListener: EventTarget.prototype.removeEventListener,
    messageData: O.getOwnPropertyDescriptor(MessageEvent.prototype, "data").get,
    messagePorts: O.getOwnPropertyDescriptor(MessageEvent.prototype, "ports").get,
    portPostMessage: MessagePort.prototype.postMessage,
    portStart: MessagePort.prototype.start,
    domExceptionName: O.getOwnPropertyDescriptor(DOMException.prototype, "name").get,
    signalAborted: O.getOwnPropertyDescriptor(AbortSignal.prototype, "aborted").get,
    signalReason: O.getOwnPropertyDescriptor(AbortSignal.prototype, "reason").get,
    AbortSignal,
    navigator: globalThis.navigator,
  });

  const definitions = [];
  const globals = [];
  const ns = O.create(null);
  ns.intrinsics = intrinsics;
  ns.own = (obj, key) => {
    if (obj === null || (typeof obj !== "object" && typeof obj !== "function")) return undefined;
    const desc = intrinsics.getOwnPropertyDescriptor(obj, key);
    return desc !== undefined && intrinsics.hasOwn(desc, "value") ? desc.value : undefined;
  };
  ns.define = (target, name, value) => {
    definitions[definitions.length] = { target, name, value };
  };
  ns.provide = (name, value) => {
    globals[globals.length] = { name, value };
  };
  ns.definitions = definitions;
  ns.globals = globals;
  O.defineProperty(globalThis, "__navllmBuild", { value: ns, configurable: true, enumerable: false, writable: false });
})();
