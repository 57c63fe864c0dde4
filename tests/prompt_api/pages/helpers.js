// Helpers for the Prompt API browser tests: settle a call into plain data the test can compare.
"use strict";

const PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n";

function describeError(e) {
  return { ok: false, ctor: e?.constructor?.name, name: e?.name, message: String(e?.message ?? e), code: e?.code };
}

async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (e) {
    return describeError(e);
  }
}

function syncOutcome(fn) {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return describeError(e);
  }
}

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function toolCalls(result) {
  return result.filter((part) => part.type === "tool-call").map(({ value }) => ({
    callID: value.callID, callId: value.callId, name: value.name, arguments: value.arguments,
    isToolCall: value instanceof LanguageModelToolCall,
  }));
}
