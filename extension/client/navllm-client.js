// navllm-client: one API for sites, whichever way navllm reaches this page.
//
//   import { createNavllm } from "./navllm-client.js";
//   const navllm = createNavllm({ token });      // token: optional, for navllm serve
//   if (await navllm.available()) console.log(await navllm.prompt("Hi"));
//
// In order: navigator.llm (the navllm extension), the browser's LanguageModel, then navllm
// serve over HTTP (/v1/chat/completions, streamed as Server-Sent Events) when a token is
// given. With none of them, calls reject with a NotSupportedError DOMException.
// No dependencies; see README.md and navllm-client.d.ts.

export const DEFAULT_BASE_URL = "http://127.0.0.1:11480";

const notAvailable = () =>
  new DOMException("navllm is not available: no navllm extension or built-in model on this page, and no navllm serve reachable with a token", "NotSupportedError");

// HTTP statuses of navllm serve as the DOMException names the Prompt API uses.
const STATUS_NAMES = { 400: "NotSupportedError", 401: "NotAllowedError", 403: "NotAllowedError", 404: "NotFoundError", 429: "QuotaExceededError" };

/** A string or [{role, content}] as a list of messages whose last is the user's. */
function toMessages(input) {
  const messages = typeof input === "string" ? [{ role: "user", content: input }] : input;
  if (!Array.isArray(messages) || !messages.length || messages.some((m) => typeof m?.role !== "string" || typeof m.content !== "string")) {
    throw new TypeError("the input must be a string or a non-empty array of {role, content} messages with text content");
  }
  if (messages.at(-1).role !== "user") throw new TypeError("the last message must be the user's");
  return messages;
}

const usable = async (availability) => (await availability().catch(() => "unavailable")) !== "unavailable";

// A session on the page's own API: history as initial prompts, the last message as the prompt.
function onPage({ create, ask, askStreaming }) {
  const open = (messages, { signal, temperature, maxTokens }) => {
    const initialPrompts = messages.slice(0, -1);
    const options = { signal, temperature, maxTokens, ...(initialPrompts.length ? { initialPrompts } : {}) };
    return create(Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)));
  };
  return {
    async prompt(messages, options) {
      const session = await open(messages, options);
      try {
        return await ask(session, messages.at(-1).content, options.signal);
      } finally {
        session.destroy();
      }
    },
    async *promptStreaming(messages, options) {
      const session = await open(messages, options);
      try {
        yield* askStreaming(session, messages.at(-1).content, options.signal);
      } finally {
        session.destroy();
      }
    },
  };
}

const extension = onPage({
  create: (options) => navigator.llm.createSession(options),
  ask: (session, prompt, signal) => session.generate({ prompt, signal }),
  askStreaming: (session, prompt, signal) => session.generateStreaming({ prompt, signal }),
});

// Web pages may not set sampling on LanguageModel: temperature and maxTokens are not passed.
const browser = onPage({
  create: ({ signal, initialPrompts }) => globalThis.LanguageModel.create({ signal, initialPrompts }),
  ask: (session, prompt, signal) => session.prompt(prompt, { signal }),
  askStreaming: (session, prompt, signal) => session.promptStreaming(prompt, { signal }),
});

/** The `data:` payloads of a Server-Sent Events body, one by one. */
async function* eventData(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const lines = (buffered + value).split(/\r?\n/);
      buffered = lines.pop();
      for (const line of lines) if (line.startsWith("data:")) yield line.slice(5).trim();
    }
  } finally {
    reader.cancel().catch(() => {}); // leaving early closes the request: the daemon stops generating
  }
}

async function daemonError(response) {
  const error = await response.json().catch(() => null);
  return new DOMException(error?.error?.message ?? `navllm serve answered ${response.status}`, STATUS_NAMES[response.status] ?? "OperationError");
}

function daemon(baseUrl, token) {
  const headers = { Authorization: `Bearer ${token}` };
  const promptStreaming = async function* (messages, { signal, temperature, maxTokens }) {
    const body = { messages, stream: true, temperature, max_tokens: maxTokens };
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal,
      credentials: "omit",
    });
    if (!response.ok) throw await daemonError(response);
    for await (const data of eventData(response.body)) {
      if (data === "[DONE]") return;
      const event = JSON.parse(data);
      if (event.error) throw new DOMException(event.error.message, "OperationError");
      const text = event.choices?.[0]?.delta?.content;
      if (text) yield text;
    }
  };
  return {
    async reachable() {
      const response = await fetch(`${baseUrl}/v1/models`, { headers, credentials: "omit" }).catch(() => null);
      return Boolean(response?.ok);
    },
    async prompt(messages, options) {
      let text = "";
      for await (const delta of promptStreaming(messages, options)) text += delta;
      return text;
    },
    promptStreaming,
  };
}

/**
 * A client. `token`: a navllm serve token the user made for this site (`navllm tokens create`);
 * without it the daemon is never tried. `baseUrl`: where navllm serve listens.
 */
export function createNavllm({ token, baseUrl = DEFAULT_BASE_URL } = {}) {
  const served = token ? daemon(baseUrl.replace(/\/+$/, ""), token) : null;
  const routes = {
    extension: { backend: extension, ready: () => "llm" in navigator && usable(() => navigator.llm.availability()) },
    browser: { backend: browser, ready: () => "LanguageModel" in globalThis && usable(() => globalThis.LanguageModel.availability()) },
    daemon: { backend: served, ready: () => served !== null && served.reachable() },
  };

  /** Which way navllm reaches this page: "extension", "browser", "daemon", or null. */
  async function available() {
    for (const [name, route] of Object.entries(routes)) if (await route.ready()) return name;
    return null;
  }

  async function backend() {
    const name = await available();
    if (!name) throw notAvailable();
    return routes[name].backend;
  }

  return {
    available,
    /** The reply to `input` (a string, or messages ending with the user's) as one string. */
    async prompt(input, options = {}) {
      const messages = toMessages(input);
      return (await backend()).prompt(messages, options);
    },
    /** The reply as an async iterable of text deltas. */
    async *promptStreaming(input, options = {}) {
      const messages = toMessages(input);
      yield* (await backend()).promptStreaming(messages, options);
    },
  };
}

/** A client for pages that use only the extension or the browser's own model. */
export const navllm = createNavllm();
