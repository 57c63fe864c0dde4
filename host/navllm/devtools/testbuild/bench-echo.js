// The baseline of `navllm bench relay`, in the driver's test build only (never shipped): a port
// named "navllm-bench-echo" (ECHO_PORT in navllm/devtools/browsers.py) on which every {id, ...}
// is answered at once, in the reply shape the relay uses for a finished request, without the
// host. A content script timing it measures the same content script <-> background path as a
// "navllm-page" request, less the host and native messaging.
//
// background.js imports this module before the shipped background, so this listener runs before
// main.js's, which disconnects every port it does not route: for the echo port only, that
// disconnect is made a no-op (on this port object, in this worker; the shipped code is unchanged).
const api = globalThis.browser ?? globalThis.chrome;

export const ECHO_PORT = "navllm-bench-echo";

api.runtime.onConnect.addListener((port) => {
  if (port.name !== ECHO_PORT) return;
  port.disconnect = () => {};
  port.onMessage.addListener((message) => {
    if (!Number.isSafeInteger(message?.id)) return;
    port.postMessage({ id: message.id, reply: { type: "done", data: null } });
  });
});
