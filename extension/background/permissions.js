// The permission prompt flow. When the host answers `permission_required`, the background
// opens an extension popup window (never anything drawn inside the page) and waits for the
// user. One prompt per origin at a time: every request that arrives meanwhile waits for the
// same answer. Closing the window counts as a dismissal. The answer goes to the host as the
// admin request `permission.decide` before the page's request is retried.
//
// Pending prompts are kept in storage.session, so an answer given after the service worker
// restarted (and the pages' requests were lost with it) is still recorded.
import { extensionCaller, hostCall } from "./native.js";
import { isOwnPage } from "./admin.js";

const api = globalThis.browser ?? globalThis.chrome;

export const DECISION_MESSAGE = "navllm-permission-decision";
const PROMPT_PAGE = "ui/prompt/prompt.html";
const STORE_KEY = "navllm.prompts";
const ONCE_TABS = "navllm.onceTabs"; // tabs holding an "allow once" grant: the host hears when they navigate or close
const PRIVATE = "navllm.privateSession"; // a private window opened since the host last forgot its decisions
const DECISIONS = new Set(["once", "always", "deny", "dismiss"]);

// key -> {ask, waiters: [{caller, resolve, reject}], windowId}
const open = new Map();

const keyOf = (ask) => JSON.stringify([Boolean(ask.incognito), ask.origin, ask.topOrigin ?? null]);

const notAllowed = (message) => Object.assign(new Error(message), { name: "NotAllowedError" });

async function stored(name = STORE_KEY) {
  return (await api.storage.session.get(name))[name] ?? {};
}

async function store(update, name = STORE_KEY) {
  // Read-modify-write of one small record; prompts are rare, so a race costs at most a stale entry.
  const record = await stored(name);
  update(record);
  await api.storage.session.set({ [name]: record });
}

/** Ask the user about `ask` for `caller`; resolves when allowed, rejects with NotAllowedError otherwise. */
export function requestPermission(ask, caller) {
  const key = keyOf(ask);
  return new Promise((resolve, reject) => {
    const waiting = open.get(key);
    if (waiting) {
      waiting.waiters.push({ caller, resolve, reject });
      return;
    }
    const entry = { ask, waiters: [{ caller, resolve, reject }], windowId: null };
    open.set(key, entry);
    openWindow(key, ask, entry).catch((err) => settle(key, "dismiss", [], err?.message));
  });
}

async function openWindow(key, ask, entry) {
  const query = new URLSearchParams({ key, ask: JSON.stringify(ask) });
  // At this size the prompt keeps its buttons and warning in view however long the origin
  // (tests/browser/test_prompt_window_origins.py checks it).
  const win = await api.windows.create({
    type: "popup",
    url: api.runtime.getURL(`${PROMPT_PAGE}?${query}`),
    width: 460,
    height: 420,
    focused: true,
  });
  entry.windowId = win.id;
  await store((prompts) => {
    prompts[key] = { ask, windowId: win.id, callers: entry.waiters.map((w) => w.caller) };
  });
}

/** Send the decision for every distinct document waiting, then release (or refuse) the waiters. */
async function settle(key, decision, providers, failure) {
  const entry = open.get(key);
  open.delete(key);
  const saved = (await stored())[key];
  await store((prompts) => delete prompts[key]);
  const ask = entry?.ask ?? saved?.ask;
  const callers = entry ? entry.waiters.map((w) => w.caller) : saved?.callers ?? [];
  if (!ask || !callers.length) return;

  let outcome = null;
  const seen = new Set();
  for (const caller of decision === "once" ? callers : callers.slice(0, 1)) {
    const doc = JSON.stringify([caller.tabId ?? null, caller.documentId ?? null]);
    if (seen.has(doc)) continue;
    seen.add(doc);
    outcome = await decide(ask, caller, decision, providers);
    if (outcome.type !== "done") break;
  }
  const allowed = (decision === "once" || decision === "always") && outcome?.type === "done";
  if (allowed && decision === "once") await store((tabs) => callers.forEach((c) => Number.isInteger(c.tabId) && (tabs[c.tabId] = true)), ONCE_TABS);
  for (const waiter of entry?.waiters ?? []) {
    if (allowed) waiter.resolve();
    else waiter.reject(notAllowed(failure ?? outcome?.error?.message ?? `${ask.origin} was not allowed to use navllm`));
  }
}

function decide(ask, caller, decision, providers) {
  const body = {
    type: "permission.decide",
    caller: extensionCaller,
    origin: ask.origin,
    incognito: Boolean(ask.incognito),
    decision,
    providers,
  };
  if (ask.topOrigin) body.topOrigin = ask.topOrigin;
  if (Number.isInteger(caller.tabId)) body.tabId = caller.tabId;
  if (typeof caller.documentId === "string") body.documentId = caller.documentId;
  return hostCall(body).done;
}

/** The prompt window's answer; only this extension's own pages may give one. */
async function onDecision(message) {
  const { key, decision, providers } = message;
  if (typeof key !== "string" || !DECISIONS.has(decision)) return { ok: false };
  const saved = (await stored())[key];
  if (!open.has(key) && !saved) return { ok: false };
  const windowId = open.get(key)?.windowId ?? saved?.windowId;
  const allowedNames = saved?.ask?.providers ?? [];
  const chosen = Array.isArray(providers) ? providers.filter((p) => allowedNames.includes(p)) : [];
  await settle(key, decision, chosen);
  if (Number.isInteger(windowId)) api.windows.remove(windowId).catch(() => {});
  return { ok: true };
}

async function onWindowRemoved(windowId) {
  const prompts = await stored();
  for (const [key, saved] of Object.entries(prompts)) {
    if (saved.windowId === windowId) await settle(key, "dismiss", []);
  }
  // The last private window closed: the host forgets every private-window decision.
  if (!(await api.storage.session.get(PRIVATE))[PRIVATE]) return;
  const windows = await api.windows.getAll();
  if (windows.some((w) => w.incognito)) return;
  await api.storage.session.remove(PRIVATE);
  notifyHost({ type: "incognito.ended" });
}

async function onTabGone(tabId, type) {
  const tabs = await stored(ONCE_TABS);
  if (!tabs[tabId]) return;
  await store((held) => delete held[tabId], ONCE_TABS);
  notifyHost({ type, tabId });
}

function notifyHost(message) {
  hostCall({ ...message, caller: extensionCaller });
}

// Listeners are registered when the worker starts, so events wake it.
api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type !== DECISION_MESSAGE || !isOwnPage(sender)) return false;
  onDecision(message).then(sendResponse, () => sendResponse({ ok: false }));
  return true;
});
// Any private window may lead to private decisions (prompts, or the panel's admin requests).
api.windows.onCreated.addListener((window) => {
  if (window.incognito) api.storage.session.set({ [PRIVATE]: true });
});
api.windows.onRemoved.addListener((windowId) => {
  onWindowRemoved(windowId);
});
// "Allow once" ends with the document: on a new page load in the tab, or when it closes.
api.tabs.onRemoved.addListener((tabId) => {
  onTabGone(tabId, "tab.closed");
});
api.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status === "loading") onTabGone(tabId, "tab.navigated");
});
