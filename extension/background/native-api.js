// Whether pages get navllm's LanguageModel in place of the browser's own (the setting
// replaceNativePromptApi). Page scripts cannot read a setting when they run, so while the
// setting is on the background keeps a small MAIN-world script registered that asks the
// polyfill to take the browser's place before any page script runs.
import { extensionCaller, hostCall } from "./native.js";

const api = globalThis.browser ?? globalThis.chrome;

const PREFER = {
  id: "navllm-prefer-polyfill",
  js: ["page/prefer-polyfill.js"],
  matches: ["<all_urls>"],
  runAt: "document_start",
  world: "MAIN",
  allFrames: true,
  matchOriginAsFallback: true, // about:blank frames too, as the polyfill itself is injected there
  persistAcrossSessions: true,
};

/** Register or unregister the script to match the host's setting; failures leave it as it was. */
export async function syncNativeReplacement() {
  if (!api.scripting?.registerContentScripts) return;
  const reply = await hostCall({ type: "settings.get", caller: extensionCaller }).done;
  if (reply.type !== "done") return;
  const wanted = reply.data?.replaceNativePromptApi === true;
  const registered = (await api.scripting.getRegisteredContentScripts({ ids: [PREFER.id] })).length > 0;
  if (wanted && !registered) await api.scripting.registerContentScripts([PREFER]);
  else if (!wanted && registered) await api.scripting.unregisterContentScripts({ ids: [PREFER.id] });
}

/** Watch an extension page's port: after it changes settings, bring the script in line.
 * The host answers one port's requests in the order they arrive, so the read that follows
 * sees the change. */
export function watchSettings(port) {
  port.onMessage.addListener((message) => {
    if (message?.type === "settings.set") syncNativeReplacement().catch(() => {});
  });
}
