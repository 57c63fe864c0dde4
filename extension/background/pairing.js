// Pairing with navllm serve, for the side panel's "Local service" card. The panel asks; the
// background talks to the daemon and keeps the token: the panel learns the paired name, never
// the token. Only this extension's own pages are answered.
import { isOwnPage } from "./admin.js";
import { DAEMON_PORT_KEY, PAIRING_KEY, daemonPort, pairing } from "./daemon-port.js";
import { closeDaemonTransport, transportInUse } from "./native.js";

const api = globalThis.browser ?? globalThis.chrome;

export const PAIRING_MESSAGE = "navllm-pairing";

const failure = (name, message) => Object.assign(new Error(message), { name });

/** "Firefox 128", "Chromium 156": how the daemon lists this browser. */
async function browserLabel() {
  const info = await api.runtime.getBrowserInfo?.();
  if (info) return `${info.name} ${info.version.split(".")[0]}`;
  const brands = navigator.userAgentData?.brands ?? [];
  const brand = brands.find((b) => !/not.a.brand|^chromium$/i.test(b.brand)) ?? brands.find((b) => /chromium/i.test(b.brand));
  return brand ? `${brand.brand} ${brand.version}` : "Browser";
}

// The daemon's refusals of a pairing: a wrong code (the third voids it), an expired or unknown one.
const NAMES = { 403: "NotAllowedError", 404: "NotFoundError" };

/** POST JSON to the daemon (with `token` as the bearer, if given); the reply's JSON, or an error
 * saying what went wrong in plain words (`status` on it when the daemon answered). */
async function postDaemon(path, body, token) {
  const port = await daemonPort();
  const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  let response;
  try {
    response = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers, body: JSON.stringify(body), credentials: "omit" });
  } catch {
    throw failure("NetworkError", `navllm serve isn't running on port ${port}: start it with \`navllm serve\``);
  }
  if (response.ok) return response.json();
  const said = (await response.json().catch(() => null))?.error?.message;
  const capitalised = said && said.charAt(0).toUpperCase() + said.slice(1);
  const err = failure(NAMES[response.status] ?? "OperationError", capitalised || `navllm serve answered ${response.status}`);
  throw Object.assign(err, { status: response.status });
}

const REVOKED = 401; // the daemon knows the token no more: revoked already (`navllm tokens revoke`)

const ACTIONS = {
  async state() {
    const paired = await pairing();
    return { transport: transportInUse(), paired: Boolean(paired), name: paired?.name ?? null, port: await daemonPort() };
  },
  async pair() {
    const started = await postDaemon("/api/pair", { browser: await browserLabel() });
    return { pairing: started.pairing, expiresIn: started.expiresIn };
  },
  async confirm({ pairing: id, code }) {
    if (typeof id !== "string" || typeof code !== "string") throw failure("TypeError", "a pairing and a code are needed");
    const paired = await postDaemon("/api/pair/confirm", { pairing: id, code: code.trim() });
    if (typeof paired?.token !== "string" || typeof paired.name !== "string") throw failure("OperationError", "navllm serve's answer held no pairing");
    await api.storage.local.set({ [PAIRING_KEY]: { token: paired.token, name: paired.name } });
    return { name: paired.name };
  },
  // The daemon revokes the token first, so a copy of it opens nothing; while the daemon cannot be
  // reached the pairing is kept, since forgetting it here alone would leave its token working there.
  async forget() {
    const paired = await pairing();
    if (paired) {
      try {
        await postDaemon("/api/pair/forget", {}, paired.token);
      } catch (err) {
        if (err.status !== REVOKED) {
          err.message = `${err.message}. The pairing is kept until navllm serve revokes it (or run \`navllm tokens revoke ${paired.name}\`)`;
          throw err;
        }
      }
    }
    await api.storage.local.remove(PAIRING_KEY);
    closeDaemonTransport("the pairing with navllm serve was forgotten");
    return {};
  },
  async setPort({ port }) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw failure("RangeError", "a port is a whole number from 1 to 65535");
    await api.storage.local.set({ [DAEMON_PORT_KEY]: port });
    closeDaemonTransport("navllm serve's port changed");
    return {};
  },
};

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type !== PAIRING_MESSAGE || !isOwnPage(sender) || !Object.hasOwn(ACTIONS, message.action)) return false;
  ACTIONS[message.action](message).then(
    (data) => sendResponse({ data }),
    (err) => sendResponse({ error: { name: err?.name ?? "Error", message: err?.message ?? String(err) } }),
  );
  return true;
});
