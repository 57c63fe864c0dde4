// MAIN world: what a Prompt API call is given, checked and put in the host's shape:
// WebIDL-style conversions, messages and their parts (text, images, audio, tool responses),
// the tool classes pages construct, and response constraints. language-model.js (and through
// it navigator.llm) builds on it via ns.promptInput.
(() => {
  "use strict";
  const ns = globalThis.__navllmBuild;
  const I = ns.intrinsics;
  const { DOMException, TypeError, freeze } = I;
  const stringify = JSON.stringify;
  const parseJSON = JSON.parse;
  const getPrototypeOf = Object.getPrototypeOf;
  const ArrayProto = Array.prototype;
  const toStringTag = (v) => I.apply(Object.prototype.toString, v, []);

  const MESSAGE_TYPES = ["text", "image", "audio", "tool-call", "tool-response"];
  const ROLES = ["system", "user", "assistant"];

  const domError = (name, message) => new DOMException(message, name);
  const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");

  // ---- WebIDL-style conversions -------------------------------------------------------

  const dictionary = (value, what) => {
    if (value === undefined || value === null) return {};
    if (!isObject(value)) throw new TypeError(`${what} must be an object.`);
    return value;
  };

  const sequence = (value, what) => {
    if (!isObject(value) || typeof value[Symbol.iterator] !== "function") throw new TypeError(`${what} must be a sequence.`);
    return Array.from(value);
  };

  const enumeration = (value, allowed, what) => {
    const text = I.String(value);
    if (!I.apply(ArrayProto.includes, allowed, [text])) throw new TypeError(`'${text}' is not a valid value for ${what}.`);
    return text;
  };

  const required = (dict, key, what) => {
    const value = dict[key];
    if (value === undefined) throw new TypeError(`${what} is missing its required member '${key}'.`);
    return value;
  };

  const signalOption = (dict, what) => {
    const signal = dict.signal;
    if (signal === undefined) return undefined;
    if (!(signal instanceof I.AbortSignal)) throw new TypeError(`${what}.signal must be an AbortSignal.`);
    return signal;
  };

  // ---- Tool classes ------------------------------------------------------------------------

  class LanguageModelToolCall {
    #callID;
    #name;
    #arguments;
    constructor(init) {
      const dict = dictionary(init, "LanguageModelToolCall");
      this.#callID = I.String(dict.callID ?? dict.callId ?? "");
      this.#name = I.String(dict.name ?? "");
      this.#arguments = isObject(dict.arguments) ? dict.arguments : {};
    }
    get callID() {
      return this.#callID;
    }
    get callId() {
      return this.#callID;
    }
    get name() {
      return this.#name;
    }
    get arguments() {
      return this.#arguments;
    }
    toJSON() {
      return { callID: this.#callID, name: this.#name, arguments: this.#arguments };
    }
  }

  const toolResponseInit = (init, what) => {
    const dict = dictionary(init, what);
    const callID = dict.callID ?? dict.callId;
    if (callID === undefined) throw new TypeError(`${what} is missing its required member 'callID'.`);
    return { callID: I.String(callID), name: I.String(required(dict, "name", what)), dict };
  };

  class LanguageModelToolSuccess {
    #callID;
    #name;
    #result;
    constructor(init) {
      const { callID, name, dict } = toolResponseInit(init, "LanguageModelToolSuccess");
      this.#callID = callID;
      this.#name = name;
      this.#result = sequence(required(dict, "result", "LanguageModelToolSuccess"), "result").map((item) => {
        const part = dictionary(item, "LanguageModelToolSuccess.result[]");
        return { type: I.String(required(part, "type", "result[]")), value: part.value };
      });
    }
    get callID() {
      return this.#callID;
    }
    get callId() {
      return this.#callID;
    }
    get name() {
      return this.#name;
    }
    get result() {
      return this.#result.map((p) => ({ type: p.type, value: p.value }));
    }
  }

  class LanguageModelToolError {
    #callID;
    #name;
    #errorMessage;
    constructor(init) {
      const { callID, name, dict } = toolResponseInit(init, "LanguageModelToolError");
      this.#callID = callID;
      this.#name = name;
      this.#errorMessage = I.String(required(dict, "errorMessage", "LanguageModelToolError"));
    }
    get callID() {
      return this.#callID;
    }
    get callId() {
      return this.#callID;
    }
    get name() {
      return this.#name;
    }
    get errorMessage() {
      return this.#errorMessage;
    }
  }

  // Tool results travel as text: strings as they are, other plain data as JSON. Functions,
  // BigInts, cycles and platform objects cannot be represented and are a DataError.
  const plainData = (value, seen) => {
    if (value === null || typeof value === "string" || typeof value === "boolean") return;
    if (typeof value === "number") return;
    if (typeof value !== "object") throw domError("DataError", `A tool result cannot hold a ${typeof value}.`);
    if (seen.has(value)) throw domError("DataError", "A tool result cannot hold a circular structure.");
    // Plain objects and arrays from any realm (frames) qualify; class instances and
    // platform objects do not.
    const proto = getPrototypeOf(value);
    const plain = I.isArray(value) || (toStringTag(value) === "[object Object]" && (proto === null || getPrototypeOf(proto) === null));
    if (!plain) throw domError("DataError", `A tool result cannot hold a ${toStringTag(value)}.`);
    seen.add(value);
    for (const key of Object.keys(value)) plainData(value[key], seen);
    seen.delete(value);
  };

  const toolResultText = (part) => {
    if (part.type === "image" || part.type === "audio") {
      throw domError("NotSupportedError", `Tool results of type '${part.type}' are not supported.`);
    }
    if (typeof part.value === "string") return part.value;
    plainData(part.value, new Set());
    return stringify(part.value) ?? "null";
  };

  const toolResponsePart = (value) => {
    if (value instanceof LanguageModelToolSuccess) {
      return { type: "tool-response", callID: value.callID, name: value.name, result: value.result.map((p) => ({ type: "text", value: toolResultText(p) })) };
    }
    if (value instanceof LanguageModelToolError) {
      return { type: "tool-response", callID: value.callID, name: value.name, errorMessage: value.errorMessage };
    }
    throw new TypeError("A tool-response value must be a LanguageModelToolSuccess or LanguageModelToolError.");
  };

  // ---- Media --------------------------------------------------------------------------------

  const base64 = (bytes) => {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  };

  const IMAGE_SOURCES = ["Blob", "ImageData", "ImageBitmap", "HTMLImageElement", "SVGImageElement", "HTMLCanvasElement", "OffscreenCanvas", "HTMLVideoElement", "VideoFrame"];
  const AUDIO_SOURCES = ["AudioBuffer", "Blob", "ArrayBuffer"];
  const isInstance = (value, names) => names.some((n) => typeof globalThis[n] === "function" && value instanceof globalThis[n]);

  // Every image reaches the host as PNG; decoding it here also surfaces the spec's errors
  // (a cross-origin canvas is a SecurityError, undecodable bytes an EncodingError).
  const encodeImage = async (value) => {
    let bitmap;
    try {
      bitmap = await createImageBitmap(value);
    } catch (err) {
      if (err?.name === "SecurityError") throw err;
      throw domError("EncodingError", "The image could not be decoded.");
    }
    const canvas = new OffscreenCanvas(bitmap.width || 1, bitmap.height || 1);
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    return { type: "image", mimeType: "image/png", data: base64(new Uint8Array(await blob.arrayBuffer())) };
  };

  const wav = (buffer) => {
    const channels = buffer.numberOfChannels;
    const frames = buffer.length;
    const out = new DataView(new ArrayBuffer(44 + frames * channels * 2));
    const text = (offset, s) => {
      for (let i = 0; i < s.length; i++) out.setUint8(offset + i, s.charCodeAt(i));
    };
    text(0, "RIFF");
    out.setUint32(4, 36 + frames * channels * 2, true);
    text(8, "WAVEfmt ");
    out.setUint32(16, 16, true);
    out.setUint16(20, 1, true);
    out.setUint16(22, channels, true);
    out.setUint32(24, buffer.sampleRate, true);
    out.setUint32(28, buffer.sampleRate * channels * 2, true);
    out.setUint16(32, channels * 2, true);
    out.setUint16(34, 16, true);
    text(36, "data");
    out.setUint32(40, frames * channels * 2, true);
    const data = [];
    for (let c = 0; c < channels; c++) data.push(buffer.getChannelData(c));
    let offset = 44;
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) {
        const s = Math.max(-1, Math.min(1, data[c][f]));
        out.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
        offset += 2;
      }
    }
    return new Uint8Array(out.buffer);
  };

  const encodeAudio = async (value) => {
    let buffer = value;
    if (!(typeof AudioBuffer === "function" && value instanceof AudioBuffer)) {
      const bytes = value instanceof Blob ? await value.arrayBuffer() : ArrayBuffer.isView(value) ? value.buffer.slice(0) : value.slice(0);
      try {
        buffer = await new OfflineAudioContext(1, 1, 16000).decodeAudioData(bytes);
      } catch {
        throw domError("EncodingError", "The audio could not be decoded.");
      }
    }
    return { type: "audio", mimeType: "audio/wav", data: base64(wav(buffer)) };
  };

  // ---- Messages -------------------------------------------------------------------------

  // Converts prompt input to checked messages. Media are kept as their JS values here and
  // encoded later (asynchronously), after every synchronous check has passed.
  // `declared`: the input types the session accepts. A system message may only open an
  // input (as the shipped API and its conformance tests have it, also after history).
  const messages = (input, declared, { allowPrefix }) => {
    let list;
    if (isObject(input) && typeof input[Symbol.iterator] === "function") {
      list = Array.from(input, (item) => dictionary(item, "LanguageModelMessage"));
    } else {
      list = [{ role: "user", content: I.String(input) }];
    }
    if (list.length === 0) list = [{ role: "user", content: [] }];
    return list.map((dict, index) => {
      const role = enumeration(required(dict, "role", "LanguageModelMessage"), ROLES, "role");
      const content = required(dict, "content", "LanguageModelMessage");
      const prefix = Boolean(dict.prefix);
      if (role === "system" && index !== 0) {
        throw new TypeError("A system message is only allowed first, before any other message.");
      }
      if (prefix && !(allowPrefix && role === "assistant" && index === list.length - 1)) {
        throw domError("SyntaxError", "Only a final assistant message can be a prefix.");
      }
      const parts = typeof content === "string" ? [{ type: "text", value: content }] : sequence(content, "content").map((p) => dictionary(p, "content"));
      const checked = parts.map((p) => {
        const type = enumeration(required(p, "type", "LanguageModelMessageContent"), MESSAGE_TYPES, "content type");
        const value = required(p, "value", "LanguageModelMessageContent");
        if (role === "assistant" && type !== "text") throw domError("NotSupportedError", "Assistant messages can only hold text.");
        if (type === "text") {
          if (typeof value !== "string") throw new TypeError("A text part's value must be a string.");
          return { type, value };
        }
        if (type === "tool-call") throw domError("NotSupportedError", "Tool calls come from the model; they cannot be input.");
        if (!declared.has(type)) throw domError("NotSupportedError", `Input of type '${type}' was not declared in expectedInputs.`);
        if (type === "tool-response") return toolResponsePart(value);
        if (!isInstance(value, type === "image" ? IMAGE_SOURCES : AUDIO_SOURCES) && !(type === "audio" && ArrayBuffer.isView(value))) {
          throw new TypeError(`The value is not a valid ${type} source.`);
        }
        return { type, media: value };
      });
      return { role, content: checked, prefix };
    });
  };

  const encodeMessages = async (list) => {
    const out = [];
    for (const message of list) {
      const content = [];
      for (const part of message.content) {
        if (part.media === undefined) content.push(part);
        else content.push(await (part.type === "image" ? encodeImage(part.media) : encodeAudio(part.media)));
      }
      out.push({ role: message.role, content, prefix: message.prefix });
    }
    return out;
  };

  const responseConstraint = (dict) => {
    const value = dict.responseConstraint;
    const omit = Boolean(dict.omitResponseConstraintInput);
    if (value === undefined) {
      if (omit) throw new TypeError("omitResponseConstraintInput needs a responseConstraint.");
      return { constraint: undefined, omit };
    }
    if (toStringTag(value) === "[object RegExp]") return { constraint: { kind: "regex", pattern: value.source, flags: value.flags }, omit };
    if (!isObject(value) || typeof value === "function") throw new TypeError("responseConstraint must be a JSON Schema object or a RegExp.");
    let schema;
    try {
      schema = parseJSON(stringify(value));
    } catch {
      throw domError("NotSupportedError", "The response constraint schema cannot be serialised.");
    }
    return { constraint: { kind: "json-schema", schema }, omit };
  };

  // A tool call from the host's reply, as pages receive it.
  const toolCallPart = (wire) =>
    freeze({
      type: "tool-call",
      value: new LanguageModelToolCall({ callID: ns.own(wire, "callID"), name: ns.own(wire, "name"), arguments: ns.own(wire, "arguments") }),
    });

  for (const cls of [LanguageModelToolCall, LanguageModelToolSuccess, LanguageModelToolError]) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
  }

  ns.promptInput = freeze({
    __proto__: null,
    MESSAGE_TYPES,
    domError,
    isObject,
    dictionary,
    sequence,
    enumeration,
    required,
    signalOption,
    messages,
    encodeMessages,
    responseConstraint,
    toolCallPart,
    LanguageModelToolCall,
    LanguageModelToolSuccess,
    LanguageModelToolError,
  });
})();
