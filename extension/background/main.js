// The background: routes ports by name. Listeners are registered synchronously at start-up
// so a port opened while the worker was asleep wakes it and is delivered.
import { ADMIN_PORT, onAdminPort } from "./admin.js";
import { PAGE_PORT, onPagePort } from "./pages.js";
import { syncNativeReplacement, watchSettings } from "./native-api.js";
import "./pairing.js"; // the side panel's pairing with navllm serve: its listener registers at start-up

const api = globalThis.browser ?? globalThis.chrome;

const onAdmin = (port) => {
  onAdminPort(port);
  watchSettings(port);
};

const ROUTES = { [PAGE_PORT]: onPagePort, [ADMIN_PORT]: onAdmin };

api.runtime.onConnect.addListener((port) => {
  const route = Object.hasOwn(ROUTES, port.name) ? ROUTES[port.name] : null;
  if (route) route(port);
  else port.disconnect();
});

// The setting may have changed while the worker slept (the CLI writes it too).
syncNativeReplacement().catch(() => {});
