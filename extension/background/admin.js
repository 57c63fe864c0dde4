// Ports from the extension's own pages ("navllm-admin"): the settings UI, the prompt
// window, and tests driving them. They may send any request type; the host accepts
// admin requests only because the caller kind is "extension".
import { extensionCaller, extensionOrigin } from "./native.js";
import { relayPort } from "./relay.js";

const api = globalThis.browser ?? globalThis.chrome;

export const ADMIN_PORT = "navllm-admin";

/** True only for a document of this extension (content scripts share our id but not our origin). */
export function isOwnPage(sender) {
  if (sender?.id !== api.runtime.id) return false;
  const origin = sender.origin ?? (sender.url ? new URL(sender.url).origin : null);
  return origin === extensionOrigin;
}

export function onAdminPort(port) {
  if (!isOwnPage(port.sender)) {
    port.disconnect();
    return;
  }
  relayPort(port, extensionCaller);
}
