// The one native-messaging port to the host, shared by every page and extension page.
//
// Requests are multiplexed by id; replies too big for one frame arrive as "part" frames
// and are reassembled here. The port is opened on first use with a hello handshake. When
// the host dies, every call in flight ends with an OperationError and the next call
// reconnects, waiting longer after each connection that died before saying hello.
const api = globalThis.browser ?? globalThis.chrome;

export const HOST_NAME = "org.navllm.host";
export const PROTOCOL = 1;
const TERMINAL = new Set(["done", "error", "permission_required"]);
const MAX_BACKOFF_MS = 10_000;

export const extensionOrigin = new URL(api.runtime.getURL("")).origin;
export const extensionCaller = Object.freeze({ kind: "extension", origin: extensionOrigin });

let port = null;
let ready = null; // Promise<port> while connecting or connected
let failures = 0; // connections in a row that ended before or right after hello
let lastId = 0;
const inflight = new Map(); // host request id -> {onUpdate, resolve}
const parts = new Map(); // host request id -> [body strings]

export const errorReply = (name, message, details) => ({ type: "error", error: details ? { name, message, details } : { name, message } });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (n) => (n <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 200 * 2 ** (n - 2)));

function onMessage(message) {
  if (message?.type === "part") {
    const chunks = parts.get(message.id) ?? [];
    chunks.push(message.body);
    if (message.more) {
      parts.set(message.id, chunks);
      return;
    }
    parts.delete(message.id);
    message = JSON.parse(chunks.join(""));
  }
  const entry = inflight.get(message?.id);
  if (!entry) return;
  if (TERMINAL.has(message.type)) {
    inflight.delete(message.id);
    entry.resolve(message);
  } else {
    entry.onUpdate(message);
  }
}

function onDisconnect(which) {
  if (which !== port) return;
  const reason = api.runtime.lastError?.message ?? which.error?.message;
  port = null;
  ready = null;
  failures += 1;
  parts.clear();
  const reply = errorReply("OperationError", reason ? `navllm host disconnected: ${reason}` : "navllm host disconnected");
  const entries = [...inflight.values()];
  inflight.clear();
  for (const entry of entries) entry.resolve(reply);
}

function post(target, message, onUpdate) {
  return new Promise((resolve) => {
    inflight.set(message.id, { onUpdate, resolve });
    try {
      target.postMessage(message);
    } catch (err) {
      inflight.delete(message.id);
      resolve(errorReply("OperationError", `navllm host unreachable: ${err.message}`));
    }
  });
}

function connect() {
  ready ??= (async () => {
    await sleep(backoff(failures));
    const opened = api.runtime.connectNative(HOST_NAME);
    port = opened;
    opened.onMessage.addListener(onMessage);
    opened.onDisconnect.addListener(() => onDisconnect(opened));
    const hello = await post(opened, {
      id: `h${++lastId}`,
      type: "hello",
      caller: extensionCaller,
      extensionVersion: api.runtime.getManifest().version,
      protocol: PROTOCOL,
    }, () => {});
    if (hello.type !== "done") {
      if (port === opened) {
        opened.disconnect();
        onDisconnect(opened);
      }
      throw hello;
    }
    failures = 0;
    return opened;
  })();
  return ready;
}

/**
 * Send one request; `message` has everything but the id. Returns a handle {id, done} where
 * `done` resolves with the terminal reply (done / error / permission_required); it never
 * rejects. `onUpdate` receives chunk, progress and event replies.
 */
export function hostCall(message, onUpdate = () => {}) {
  const handle = { id: `b${++lastId}`, caller: message.caller, cancelled: false, sent: false };
  handle.done = (async () => {
    let target;
    try {
      target = await connect();
    } catch (failure) {
      return failure?.type === "error" ? failure : errorReply("OperationError", `navllm host unavailable: ${failure?.message ?? failure}`);
    }
    if (handle.cancelled) return errorReply("AbortError", "the request was cancelled");
    handle.sent = true;
    return post(target, { ...message, id: handle.id }, onUpdate);
  })();
  return handle;
}

/** Stop a request started with hostCall; it then ends with AbortError from the host. */
export function hostCancel(handle) {
  handle.cancelled = true;
  if (!handle.sent || !inflight.has(handle.id) || !port) return;
  const id = `c${++lastId}`;
  post(port, { id, type: "cancel", caller: handle.caller, target: handle.id }, () => {});
}
