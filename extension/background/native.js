// The one port to the host, shared by every page and extension page.
//
// Requests are multiplexed by id; replies too big for one frame arrive as "part" frames
// and are reassembled here. The port is opened on first use with a hello handshake. When
// the host dies, every call in flight ends with an OperationError and the next call
// reconnects, waiting longer after each connection that died before saying hello.
//
// Transports: native messaging first, on every connect. Where it is missing (no host
// registered, or forbidden as in Snap and Flatpak browsers) and the user paired this browser
// with navllm serve, the daemon's WebSocket (daemon-port.js, a port of the same shape) is used
// instead; the next connect after it closes tries native messaging again.
//
// Deadlines: a host may be silent for minutes while it prefills a long prompt, so silence
// alone proves nothing. After silenceMs (30 s) with calls pending and no frame from the host,
// a hello probe goes out; if it (or the opening hello) is not answered within probeMs (10 s),
// the host is wedged: every call ends with OperationError, the port is closed (the browser
// ends the process) and the next call starts a new host. Tests shorten both through
// storage.session[TIMING_KEY], which only extension pages and the background can write.
import { connectDaemon, daemonPort, pairing } from "./daemon-port.js";

const api = globalThis.browser ?? globalThis.chrome;

export const HOST_NAME = "org.navllm.host";
export const PROTOCOL = 1;
const TERMINAL = new Set(["done", "error", "permission_required"]);
const MAX_BACKOFF_MS = 10_000;
const TIMING = { silenceMs: 30_000, probeMs: 10_000 };
export const TIMING_KEY = "navllm.timing";
// How browsers say native messaging cannot start at all, as opposed to a host that started and failed.
const NATIVE_MISSING = /not found|forbidden|no such native application|failed to start/i;

export const extensionOrigin = new URL(api.runtime.getURL("")).origin;
export const extensionCaller = Object.freeze({ kind: "extension", origin: extensionOrigin });

let port = null;
let transport = "none"; // "native" or "daemon" once a port said hello
let ready = null; // Promise<port> while connecting or connected
let opening = false; // a connect is choosing its transport: disconnects do not reset `ready`
let lastReason = ""; // why the last port disconnected
let failures = 0; // connections in a row that ended before or right after hello
let lastId = 0;
const inflight = new Map(); // host request id -> {onUpdate, resolve}
const parts = new Map(); // host request id -> [body strings]
let timing = TIMING;
let lastHeard = 0; // when the host last sent a frame, or the first call after an idle spell went out
let watchdog = null; // timer, set while calls are pending
let probing = false;

export const errorReply = (name, message, details) => ({ type: "error", error: details ? { name, message, details } : { name, message } });

const sleep = (ms) => new Promise((resolve) => {
  setTimeout(resolve, ms);
});
const backoff = (n) => (n <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 200 * 2 ** (n - 2)));

const nothing = Symbol("no answer");
const answerWithin = (ms, promise) => Promise.race([promise, sleep(ms).then(() => nothing)]);

// Overrides from tests, read at each connect; anything but positive numbers keeps the defaults.
async function loadTiming() {
  const saved = (await api.storage.session.get(TIMING_KEY).catch(() => ({})))[TIMING_KEY] ?? {};
  const pick = (name) => (Number.isFinite(saved[name]) && saved[name] > 0 ? saved[name] : TIMING[name]);
  timing = { silenceMs: pick("silenceMs"), probeMs: pick("probeMs") };
}

// Close a port we gave up on; the browser then ends the host process.
function drop(opened, reason) {
  if (opened !== port) return;
  opened.disconnect();
  onDisconnect(opened, reason);
}

async function probe(opened) {
  probing = true;
  const reply = await answerWithin(timing.probeMs, post(opened, helloMessage()));
  probing = false;
  if (reply === nothing) drop(opened, `the host did not answer a liveness probe within ${timing.probeMs} ms`);
}

// Runs while calls are pending: probe the host once it has been silent for silenceMs.
function watch() {
  watchdog = null;
  if (!port || inflight.size === 0) return;
  const quiet = Date.now() - lastHeard;
  if (quiet < timing.silenceMs) {
    watchdog = setTimeout(watch, timing.silenceMs - quiet);
    return;
  }
  if (!probing) probe(port);
  watchdog = setTimeout(watch, timing.silenceMs);
}

function onMessage(message) {
  lastHeard = Date.now();
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

function onDisconnect(which, reason = api.runtime.lastError?.message ?? which.error?.message) {
  if (which !== port) return;
  port = null;
  transport = "none";
  lastReason = reason ?? "";
  if (!opening) ready = null;
  failures += 1;
  parts.clear();
  clearTimeout(watchdog);
  watchdog = null;
  const reply = errorReply("OperationError", reason ? `navllm host disconnected: ${reason}` : "navllm host disconnected");
  const entries = [...inflight.values()];
  inflight.clear();
  for (const entry of entries) entry.resolve(reply);
}

function post(target, message, onUpdate = () => {}) {
  return new Promise((resolve) => {
    if (inflight.size === 0) lastHeard = Date.now(); // silence counts from when there is work
    inflight.set(message.id, { onUpdate, resolve });
    watchdog ??= setTimeout(watch, timing.silenceMs);
    try {
      target.postMessage(message);
    } catch (err) {
      inflight.delete(message.id);
      resolve(errorReply("OperationError", `navllm host unreachable: ${err.message}`));
    }
  });
}

const helloMessage = () => ({
  id: `h${++lastId}`,
  type: "hello",
  caller: extensionCaller,
  extensionVersion: api.runtime.getManifest().version,
  protocol: PROTOCOL,
});

/** Adopt `opened` as the port and say hello; a port that does not answer is dropped. */
async function greet(opened) {
  port = opened;
  opened.onMessage.addListener(onMessage);
  opened.onDisconnect.addListener(() => onDisconnect(opened));
  const answered = await answerWithin(timing.probeMs, post(opened, helloMessage()));
  const hello = answered === nothing ? errorReply("OperationError", `navllm host did not answer hello within ${timing.probeMs} ms`) : answered;
  if (hello.type !== "done") drop(opened);
  return hello;
}

function connectNative() {
  try {
    return api.runtime.connectNative(HOST_NAME);
  } catch (err) {
    return { missing: err?.message ?? String(err) }; // Firefox throws where nativeMessaging is unusable
  }
}

async function open() {
  await Promise.all([sleep(backoff(failures)), loadTiming()]);
  const native = connectNative();
  let hello = native.missing ? errorReply("OperationError", `navllm host unavailable: ${native.missing}`) : await greet(native);
  if (hello.type === "done") return (transport = "native");
  const reason = native.missing ?? lastReason;
  if (!NATIVE_MISSING.test(reason)) throw hello;
  if (!native.missing) failures -= 1; // no host was started: no reason to wait before the next try
  const paired = await pairing();
  if (!paired) throw errorReply("OperationError", `navllm host unavailable: ${reason.replace(/\.$/, "")}, and this browser is not paired with navllm serve`);
  hello = await greet(connectDaemon(await daemonPort(), paired.token, helloMessage));
  if (hello.type !== "done") throw hello;
  return (transport = "daemon");
}

function connect() {
  ready ??= (async () => {
    opening = true;
    try {
      await open();
      failures = 0;
      return port;
    } catch (failure) {
      ready = null;
      throw failure;
    } finally {
      opening = false;
    }
  })();
  return ready;
}

/** "native", "daemon", or "none" while no port is open. */
export const transportInUse = () => transport;

/** Close the daemon's socket if it is the transport (the pairing was forgotten, or its port changed). */
export function closeDaemonTransport(reason) {
  if (transport === "daemon") drop(port, reason);
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
  post(port, { id, type: "cancel", caller: handle.caller, target: handle.id });
}
