// Ports from content scripts ("navllm-page"): one per frame. The caller, above all its
// origin, comes from the browser's sender data and nothing else.
import { embedderAllows } from "./embedders.js";
import { relayPort } from "./relay.js";
import { requestPermission } from "./permissions.js";

export const PAGE_PORT = "navllm-page";

// What a page may ask the host; everything else (settings, grants, keys) is for extension pages.
const PAGE_TYPES = new Set(["availability", "params", "create", "prompt", "append", "measure", "clone", "destroy", "embed", "models", "task-availability", "task-create", "task-run", "task-measure"]);

const originOf = (url) => {
  try {
    return new URL(url).origin;
  } catch {
    return "null";
  }
};

/** The caller for a content-script port, or null when the browser does not tell us enough. */
export function callerOf(sender) {
  const tab = sender?.tab;
  if (!tab || !Number.isInteger(sender.frameId)) return null;
  let origin = sender.origin;
  if (typeof origin !== "string") {
    // Firefox before 126 has no sender.origin: trust sender.url only for a top-level http(s)
    // document (a sandboxed frame's url is its parent's, so frames are refused).
    if (sender.frameId !== 0 || !/^https?:/.test(sender.url ?? "")) return null;
    origin = originOf(sender.url);
  }
  const caller = { kind: "page", origin, frameId: sender.frameId, incognito: Boolean(tab.incognito) };
  if (typeof tab.url === "string") caller.topOrigin = originOf(tab.url);
  if (Number.isInteger(tab.id)) caller.tabId = tab.id;
  if (typeof sender.documentId === "string") caller.documentId = sender.documentId;
  return caller;
}

/** The caller, with what its embedders delegate to it when it is a frame of another origin. */
async function withEmbedders(caller, url) {
  if (caller.frameId === 0 || caller.origin === caller.topOrigin) return caller;
  const allows = await embedderAllows(caller.tabId, caller.frameId, url, caller.origin, caller.topOrigin);
  return allows.length ? { ...caller, embedderAllows: allows } : caller;
}

export function onPagePort(port) {
  const caller = callerOf(port.sender);
  if (!caller) {
    port.disconnect();
    return;
  }
  relayPort(port, withEmbedders(caller, port.sender.url).catch(() => caller), { types: PAGE_TYPES, onPermission: requestPermission });
}
