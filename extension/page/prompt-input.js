// MAIN world: what a Prompt API call is given, checked and put in the host's shape:
// WebIDL-style conversions, messages and their parts (text, images, audio, tool calls and responses),
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

  // A tool call the page supplies as history (an earlier turn it kept or edited): its
  // arguments must be a dictionary of plain data, copied as the page gave them.
  const toolCallInput = (value) => {
    if (!(value instanceof LanguageModelToolCall)) throw new TypeError("A tool-call value must be a LanguageModelToolCall.");
    const args = value.arguments;
    if (I.isArray(args)) throw domError("DataError", "A tool call's arguments must be a dictionary, not an array.");
    plainData(args, new Set());
    return { type: "tool-call", callID: value.callID, name: value.name, arguments: parseJSON(stringify(args)) };
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
  //
  // What each input type accepts (the specification's ImageBitmapSource or BufferSource for
  // images; AudioBuffer, BufferSource or Blob for audio) is told by brand: a getter captured
  // now from each interface's prototype throws unless its receiver really is one. That also
  // works for objects from other frames, and a page cannot fake it or replace what is used.
  //
  // The values are checked when the call is made (TypeError for anything else) and bytes are
  // copied then (a view's byteOffset and byteLength honoured), so what the page does with them
  // afterwards changes nothing; decoding happens later, before the request is sent. Decoding
  // errors are those Chromium gives and the conformance tests pin:
  //   - an image's bytes (Blob, BufferSource) that do not decode: InvalidStateError (the
  //     explainer says EncodingError; Chromium and its tests say InvalidStateError);
  //   - an image element not (yet) loaded or broken, a video without a current frame, a closed
  //     ImageBitmap or VideoFrame, a canvas of no size: InvalidStateError;
  //   - cross-origin data not exposed with CORS (a tainted canvas, an image or video from
  //     another origin): SecurityError, even where createImageBitmap() would make an opaque
  //     bitmap of it;
  //   - audio bytes (Blob, BufferSource) that do not decode, or a Blob that cannot be read:
  //     DataError (the explainer says EncodingError; Chromium and its tests say DataError).
  const getter = (ctor, key) => {
    const proto = typeof ctor === "function" ? ctor.prototype : undefined;
    return proto ? I.getOwnPropertyDescriptor(proto, key)?.get : undefined;
  };
  const TypedArray = getPrototypeOf(Uint8Array);
  const brands = {
    __proto__: null,
    Blob: getter(globalThis.Blob, "size"),
    ImageData: getter(globalThis.ImageData, "data"),
    ImageBitmap: getter(globalThis.ImageBitmap, "width"),
    HTMLImageElement: getter(globalThis.HTMLImageElement, "naturalWidth"),
    SVGImageElement: getter(globalThis.SVGImageElement, "x"),
    HTMLCanvasElement: getter(globalThis.HTMLCanvasElement, "width"),
    OffscreenCanvas: getter(globalThis.OffscreenCanvas, "width"),
    HTMLVideoElement: getter(globalThis.HTMLVideoElement, "videoWidth"),
    VideoFrame: getter(globalThis.VideoFrame, "timestamp"),
    AudioBuffer: getter(globalThis.AudioBuffer, "sampleRate"),
  };
  const arrayBufferLength = getter(ArrayBuffer, "byteLength");
  const viewBuffer = { typed: getter(TypedArray, "buffer"), data: getter(DataView, "buffer") };
  const viewOffset = { typed: getter(TypedArray, "byteOffset"), data: getter(DataView, "byteOffset") };
  const viewLength = { typed: getter(TypedArray, "byteLength"), data: getter(DataView, "byteLength") };
  const isView = ArrayBuffer.isView;
  const NativeUint8Array = Uint8Array;
  const typedSlice = TypedArray.prototype.slice;
  const typedSubarray = TypedArray.prototype.subarray;
  const NativeBlob = Blob;
  const blobArrayBuffer = Blob.prototype.arrayBuffer;
  const blobSize = getter(Blob, "size");
  const blobType = getter(Blob, "type");
  const makeBitmap = globalThis.createImageBitmap;
  const bitmapWidth = brands.ImageBitmap;
  const bitmapHeight = getter(globalThis.ImageBitmap, "height");
  const bitmapClose = globalThis.ImageBitmap?.prototype.close;
  const NativeOffscreenCanvas = globalThis.OffscreenCanvas;
  const canvasContext = NativeOffscreenCanvas?.prototype.getContext;
  const canvasToBlob = NativeOffscreenCanvas?.prototype.convertToBlob;
  const drawImage = globalThis.OffscreenCanvasRenderingContext2D?.prototype.drawImage;
  const NativeOfflineAudioContext = globalThis.OfflineAudioContext;
  const decodeAudio = globalThis.BaseAudioContext?.prototype.decodeAudioData;
  const audio = {
    channels: getter(globalThis.AudioBuffer, "numberOfChannels"),
    frames: getter(globalThis.AudioBuffer, "length"),
    rate: brands.AudioBuffer,
    channel: globalThis.AudioBuffer?.prototype.getChannelData,
  };
  const NativeDataView = DataView;
  const dataView = {
    setUint8: DataView.prototype.setUint8,
    setUint16: DataView.prototype.setUint16,
    setUint32: DataView.prototype.setUint32,
    setInt16: DataView.prototype.setInt16,
  };
  const fromCharCode = String.fromCharCode;
  const charCodeAt = String.prototype.charCodeAt;
  const toBase64 = globalThis.btoa;
  const { min, max, round } = Math;

  const is = (value, name) => {
    const brand = brands[name];
    if (brand === undefined || !isObject(value)) return false;
    try {
      I.apply(brand, value, []);
      return true;
    } catch {
      return false;
    }
  };

  // A DataView's own getters read it, %TypedArray%'s read every other view.
  const viewKind = (view) => {
    try {
      I.apply(viewBuffer.data, view, []);
      return "data";
    } catch {
      return "typed";
    }
  };

  // A copy of a BufferSource's bytes (only those its view covers), or undefined for anything
  // else: a SharedArrayBuffer, or a view of one, is no BufferSource.
  const bufferBytes = (value) => {
    if (!isObject(value)) return undefined;
    let buffer = value;
    let offset = 0;
    let length;
    if (isView(value)) {
      const kind = viewKind(value);
      buffer = I.apply(viewBuffer[kind], value, []);
      offset = I.apply(viewOffset[kind], value, []);
      length = I.apply(viewLength[kind], value, []);
    }
    try {
      const whole = I.apply(arrayBufferLength, buffer, []);
      length ??= whole;
    } catch {
      return undefined;
    }
    return I.apply(typedSlice, new NativeUint8Array(buffer, offset, length), []);
  };

  const IMAGE_SOURCES = ["ImageData", "ImageBitmap", "HTMLImageElement", "SVGImageElement", "HTMLCanvasElement", "OffscreenCanvas", "HTMLVideoElement", "VideoFrame"];

  // The media part of a message, checked now; undefined when `value` is no source of `type`.
  // `kind`: "bytes" (a copy, a Uint8Array), "blob" (read when encoded), "samples" (an
  // AudioBuffer) or "element" (any other image source, drawn when encoded).
  const mediaSource = (type, value) => {
    if (is(value, "Blob")) return { kind: "blob", value };
    if (type === "image") {
      for (const name of IMAGE_SOURCES) if (is(value, name)) return { kind: "element", value };
    } else if (is(value, "AudioBuffer")) {
      return { kind: "samples", value };
    }
    const bytes = bufferBytes(value);
    return bytes === undefined ? undefined : { kind: "bytes", value: bytes };
  };

  const base64 = (bytes) => {
    let binary = "";
    const length = I.apply(viewLength.typed, bytes, []);
    for (let i = 0; i < length; i += 0x8000) binary += I.apply(fromCharCode, null, I.apply(typedSubarray, bytes, [i, i + 0x8000]));
    return toBase64(binary);
  };

  const readBlob = async (blob, failure) => {
    try {
      return new NativeUint8Array(await I.apply(blobArrayBuffer, blob, []));
    } catch {
      throw domError(failure, "The Blob could not be read.");
    }
  };

  // Every image reaches the host as PNG, drawn once from an ImageBitmap: the same path for every
  // source, and one on which the browser itself enforces what is ready and what is cross-origin.
  const MAX_IMAGE_SIDE = 1568;
  const MAX_PNG_BYTES = 2 * 1024 * 1024;

  const encodeImage = async ({ kind, value }) => {
    let bitmap;
    try {
      bitmap = await makeBitmap(kind === "bytes" ? new NativeBlob([value]) : value);
    } catch (err) {
      const name = err instanceof I.DOMException ? I.apply(I.domExceptionName, err, []) : "";
      if (name === "SecurityError") throw domError("SecurityError", "The image comes from another origin that does not allow its use.");
      throw domError("InvalidStateError", kind === "bytes" || kind === "blob" ? "The image could not be decoded." : "The image has no data yet (not loaded, or closed).");
    }
    try {
      const width = I.apply(bitmapWidth, bitmap, []);
      const height = I.apply(bitmapHeight, bitmap, []);
      if (width === 0 || height === 0) throw domError("InvalidStateError", "The image has no pixels.");
      // Models see at most this much (providers downscale larger images themselves), and a photo
      // at full size would not fit the 8 MiB a message may take.
      const scale = min(1, MAX_IMAGE_SIDE / max(width, height));
      const w = max(1, round(width * scale));
      const h = max(1, round(height * scale));
      const canvas = new NativeOffscreenCanvas(w, h);
      I.apply(drawImage, I.apply(canvasContext, canvas, ["2d"]), [bitmap, 0, 0, w, h]);
      let encoded;
      try {
        encoded = await I.apply(canvasToBlob, canvas, [{ type: "image/png" }]);
        // Lossless unless that is large (a photo): then JPEG, which keeps a message well inside 8 MiB.
        if (I.apply(blobSize, encoded, []) > MAX_PNG_BYTES) encoded = await I.apply(canvasToBlob, canvas, [{ type: "image/jpeg", quality: 0.9 }]);
      } catch (err) {
        // Drawing an opaque bitmap (cross-origin, not CORS-exposed) taints the canvas.
        const name = err instanceof I.DOMException ? I.apply(I.domExceptionName, err, []) : "";
        if (name === "SecurityError") throw domError("SecurityError", "The image comes from another origin that does not allow its use.");
        throw err;
      }
      return { type: "image", mimeType: I.apply(blobType, encoded, []), data: base64(await readBlob(encoded, "OperationError")) };
    } finally {
      I.apply(bitmapClose, bitmap, []);
    }
  };

  // 16-bit PCM WAV of an AudioBuffer's samples, every channel interleaved.
  const wav = (buffer) => {
    const channels = I.apply(audio.channels, buffer, []);
    const frames = I.apply(audio.frames, buffer, []);
    const rate = I.apply(audio.rate, buffer, []);
    const size = frames * channels * 2;
    const out = new NativeDataView(new ArrayBuffer(44 + size));
    const u32 = (at, v) => I.apply(dataView.setUint32, out, [at, v, true]);
    const u16 = (at, v) => I.apply(dataView.setUint16, out, [at, v, true]);
    const text = (at, s) => {
      for (let i = 0; i < s.length; i++) I.apply(dataView.setUint8, out, [at + i, I.apply(charCodeAt, s, [i])]);
    };
    text(0, "RIFF");
    u32(4, 36 + size);
    text(8, "WAVEfmt ");
    u32(16, 16);
    u16(20, 1);
    u16(22, channels);
    u32(24, rate);
    u32(28, rate * channels * 2);
    u16(32, channels * 2);
    u16(34, 16);
    text(36, "data");
    u32(40, size);
    const data = [];
    for (let c = 0; c < channels; c++) data[c] = I.apply(audio.channel, buffer, [c]);
    let at = 44;
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) {
        const s = max(-1, min(1, data[c][f] || 0));
        I.apply(dataView.setInt16, out, [at, round(s < 0 ? s * 0x8000 : s * 0x7fff), true]);
        at += 2;
      }
    }
    return new NativeUint8Array(I.apply(viewBuffer.data, out, []));
  };

  const AUDIO_RATE = 16000; // what speech models take; decoding resamples to it

  const encodeAudio = async ({ kind, value }) => {
    let buffer = value;
    if (kind !== "samples") {
      const bytes = kind === "blob" ? await readBlob(value, "DataError") : value;
      try {
        buffer = await I.apply(decodeAudio, new NativeOfflineAudioContext(1, 1, AUDIO_RATE), [I.apply(viewBuffer.typed, bytes, [])]);
      } catch {
        throw domError("DataError", "The audio could not be decoded.");
      }
    }
    return { type: "audio", mimeType: "audio/wav", data: base64(wav(buffer)) };
  };

  // ---- Messages -------------------------------------------------------------------------

  // Converts prompt input to checked messages. Media are kept as their JS values here and
  // encoded later (asynchronously), after every synchronous check has passed.
  // `declared`: the input types the session accepts. A system message may only open an input;
  // whether it may open it after the session's history is for the session to say.
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
        // Tool calls are the assistant's turn, their results the user's.
        if (type === "tool-call" && role !== "assistant") throw new TypeError("A tool call can only be in an assistant message.");
        if (type === "tool-response" && role !== "user") throw new TypeError("A tool response can only be in a user message.");
        if (role === "assistant" && type !== "text" && type !== "tool-call") {
          throw domError("NotSupportedError", "Assistant messages can only hold text and tool calls.");
        }
        if (type === "text") {
          if (typeof value === "string") return { type, value };
          // The value is a union of the media types and DOMString: an image, audio or buffer
          // given as text is a SyntaxError (Chromium's name, pinned by the web-platform-tests;
          // the specification says TypeError); anything else converts to a string, as IDL does.
          if (mediaSource("image", value) !== undefined || mediaSource("audio", value) !== undefined) {
            throw domError("SyntaxError", "A text part's value must be a string, not an image, audio or buffer.");
          }
          if (typeof value === "symbol") throw new TypeError("A text part's value cannot be a Symbol.");
          return { type, value: I.String(value) };
        }
        if (!declared.has(type)) throw domError("NotSupportedError", `Input of type '${type}' was not declared in expectedInputs.`);
        if (type === "tool-call") return toolCallInput(value);
        if (type === "tool-response") return toolResponsePart(value);
        const media = mediaSource(type, value);
        if (media === undefined) {
          throw new TypeError(
            type === "image"
              ? "An image must be a Blob, BufferSource, ImageData, ImageBitmap, VideoFrame, or an image, SVG image, video or canvas element, or an OffscreenCanvas."
              : "Audio must be an AudioBuffer, a Blob or a BufferSource.",
          );
        }
        return { type, media };
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
