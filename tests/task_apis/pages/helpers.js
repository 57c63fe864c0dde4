// Helpers for the task API browser tests: settle a call into plain data the test can compare,
// and what each API is created and called with.
"use strict";

window.APIS = {
  Summarizer: {options: {type: "tldr", format: "plain-text", length: "medium", preference: "speed"}, call: "summarize", stream: "summarizeStreaming", badEnum: {preference: "fastest"}},
  Writer: {options: {tone: "formal", format: "plain-text", length: "long"}, call: "write", stream: "writeStreaming", badEnum: {tone: "angry"}},
  Rewriter: {options: {tone: "more-casual", format: "markdown", length: "shorter"}, call: "rewrite", stream: "rewriteStreaming", badEnum: {length: "longest"}},
  Proofreader: {options: {includeCorrectionTypes: true}, call: "proofread", stream: null, badEnum: null},
  Translator: {options: {sourceLanguage: "en", targetLanguage: "es"}, call: "translate", stream: "translateStreaming", badEnum: null},
  LanguageDetector: {options: {}, call: "detect", stream: null, badEnum: null},
};

function describeError(e) {
  return {ok: false, ctor: e?.constructor?.name, name: e?.name, message: String(e?.message ?? e), code: e?.code};
}

async function outcome(promise) {
  try {
    return {ok: true, value: await promise};
  } catch (e) {
    return describeError(e);
  }
}

function syncOutcome(fn) {
  try {
    return {ok: true, value: fn()};
  } catch (e) {
    return describeError(e);
  }
}

// "ok", or the error's name (DOMException) or constructor name (TypeError, RangeError).
async function nameOf(promise) {
  const r = await outcome(promise);
  return r.ok ? "ok" : r.ctor === "DOMException" ? r.name : r.ctor;
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

// Create `name` with its test options (plus `extra`).
function createApi(name, extra = {}) {
  return window[name].create({...APIS[name].options, ...extra});
}
