// The second transport to the host: navllm serve's WebSocket (/api/browser), for browsers
// where native messaging is unavailable (no host registered, or a Snap/Flatpak browser that
// may not start one). It is dressed as a runtime.Port (postMessage, onMessage, onDisconnect,
// disconnect, error) so native.js multiplexes and probes it exactly as the native port.
//
// The pairing token lives in storage.local under PAIRING_KEY. Only the background reads it:
// the bridge and the page scripts use no extension storage at all, and the key is named here
// alone (tests/lint/test_pairing_token.py checks both); extension pages ask pairing.js, which
// answers with the paired name. The token leaves the background only in the socket's first
// message, to the daemon, which also refuses the socket to any web origin.
const api = globalThis.browser ?? globalThis.chrome;

export const DEFAULT_DAEMON_PORT = 11480;
export const PAIRING_KEY = "navllm.daemonPairing"; // {token, name}: background only
export const DAEMON_PORT_KEY = "navllm.daemonPort";
const REFUSED = 4401; // the daemon's close code for a token it does not know
// Chromium ends an idle service worker after 30 s; an open native port keeps it alive, a socket
// only while messages cross it. So a message goes out this often (its answer is ignored).
const KEEPALIVE_MS = 20_000;

/** The daemon's port: the user's choice from the side panel, else the default. */
export async function daemonPort() {
  const saved = (await api.storage.local.get(DAEMON_PORT_KEY))[DAEMON_PORT_KEY];
  return Number.isInteger(saved) ? saved : DEFAULT_DAEMON_PORT;
}

/** {token, name} when the user paired this browser with navllm serve, else null. */
export async function pairing() {
  const saved = (await api.storage.local.get(PAIRING_KEY))[PAIRING_KEY];
  return typeof saved?.token === "string" ? saved : null;
}

const closedReason = (event, opened, port) => {
  if (event.code === REFUSED) return "navllm serve refused this browser's pairing: pair again in the side panel";
  if (!opened) return `navllm serve is not running on port ${port} (start it with \`navllm serve\`)`;
  return `navllm serve closed the connection (${event.code}${event.reason ? `: ${event.reason}` : ""})`;
};

/** Open the daemon's browser socket; messages posted before it authenticated wait in order.
 * `keepalive()` makes the message sent every KEEPALIVE_MS while it is open. */
export function connectDaemon(port, token, keepalive) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/browser`);
  const messageListeners = [];
  const disconnectListeners = [];
  const waiting = [];
  let state = "connecting"; // then "open" once the daemon accepted the token, then "closed"
  let opened = false;
  let keeping = 0;

  const daemon = {
    error: undefined,
    onMessage: { addListener: (listener) => messageListeners.push(listener) },
    onDisconnect: { addListener: (listener) => disconnectListeners.push(listener) },
    postMessage(message) {
      if (state === "closed") throw new Error("the connection to navllm serve is closed");
      const text = JSON.stringify(message);
      if (state === "open") socket.send(text);
      else waiting.push(text);
    },
    // As runtime.Port.disconnect: our own onDisconnect listeners are not called.
    disconnect() {
      state = "closed";
      clearInterval(keeping);
      socket.close();
    },
  };

  socket.addEventListener("open", () => {
    opened = true;
    socket.send(JSON.stringify({ type: "auth", token }));
  });
  socket.addEventListener("message", ({ data }) => {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (state === "connecting") {
      if (message?.type !== "auth" || message.ok !== true) return; // a refusal closes with 4401
      state = "open";
      for (const text of waiting.splice(0)) socket.send(text);
      keeping = setInterval(() => socket.send(JSON.stringify(keepalive())), KEEPALIVE_MS);
      return;
    }
    if (state === "open") for (const listener of messageListeners) listener(message);
  });
  socket.addEventListener("close", (event) => {
    clearInterval(keeping);
    if (state === "closed") return;
    state = "closed";
    daemon.error = { message: closedReason(event, opened, port) };
    for (const listener of disconnectListeners) listener(daemon);
  });
  return daemon;
}
