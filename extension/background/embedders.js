// What a cross-origin frame's embedders delegate to it: the permissions policy of
// <iframe allow="summarizer; language-model https://widget.example">, read from the embedding
// documents. A page script inside the frame cannot read its embedder's attribute, and a browser
// without the built-in AI APIs does not apply it, so the background reads it in the tab's frames
// (a script in the extension's isolated world), up to the top-level page. The host lets such a
// frame ask for those features (Caller.embedderAllows); the user's grant is still asked for.
const api = globalThis.browser ?? globalThis.chrome;

export const FEATURES = ["language-model", "summarizer", "writer", "rewriter", "proofreader", "translator", "language-detector"];
const MAX_DEPTH = 8; // nested frames followed upwards at most
const ANSWER_MS = 2000; // frames that do not answer in time delegate nothing
const MAX_ALLOW = 4096; // characters of an allow attribute read; a longer one delegates nothing

const originOf = (url) => {
  try {
    return new URL(url).origin;
  } catch {
    return "null";
  }
};

/**
 * Whether the `allow` attribute `allow` of an <iframe> (whose src is `src`, in a document of
 * origin `embedder`) delegates `feature` to a document of origin `origin`. A feature the attribute
 * does not name keeps its default allowlist, 'self': only the embedder's own origin.
 */
export function delegates(allow, feature, { origin, src, embedder }) {
  const is = (other) => origin !== "null" && other === origin; // an opaque origin matches no list
  const policy = String(allow);
  for (const directive of policy.length > MAX_ALLOW ? [] : policy.split(";")) {
    const [name, ...allowlist] = directive.trim().split(/\s+/);
    if (name !== feature) continue;
    const tokens = allowlist.length ? allowlist : ["'src'"];
    return tokens.some((token) => {
      if (token === "*") return true;
      if (token === "'src'") return is(originOf(src));
      if (token === "'self'") return is(embedder);
      return token !== "'none'" && is(originOf(token));
    });
  }
  return is(embedder);
}

// These run in the tab's frames, in the extension's isolated world (where the page cannot change
// what DOM methods return). A cross-origin frame cannot be told from its <iframe> element by URL
// alone (a page may embed one widget twice, once with `allow`), so the embedder posts a fresh
// nonce into each <iframe> showing the frame's URL, and the frame says which one reached it. Each
// lookup has its own token: lookups for sibling frames of one URL run at once.

/** In the frame asked about: wait (up to `ms`) for lookup `token`'s probe from its parent window. */
function awaitProbe(ms, token) {
  globalThis.navllmProbes ??= {};
  globalThis.navllmProbes[token] = new Promise((resolve) => {
    const done = (nonce) => {
      globalThis.removeEventListener("message", listener, true);
      resolve(nonce);
    };
    const listener = (event) => {
      if (event.source === globalThis.parent && event.data?.token === token && typeof event.data.navllmProbe === "string") done(event.data.navllmProbe);
    };
    globalThis.addEventListener("message", listener, true);
    setTimeout(done, ms, null);
  });
}

/** In the frame asked about: lookup `token`'s probe that reached it, once it has. */
function probeReceived(token) {
  const probe = globalThis.navllmProbes?.[token] ?? null;
  delete globalThis.navllmProbes?.[token];
  return probe;
}

/** In every frame: a probe into each <iframe> showing `url`, and what that <iframe> delegates. */
function probeContainers(url, token) {
  const sent = [];
  for (const element of globalThis.document.querySelectorAll("iframe, frame")) {
    if (element.src !== url || !element.contentWindow) continue;
    const nonce = crypto.randomUUID();
    element.contentWindow.postMessage({ navllmProbe: nonce, token }, "*");
    sent.push({ nonce, allow: element.getAttribute("allow") ?? "" });
  }
  return sent.length ? { sent, origin: self.origin, url: location.href } : null;
}

const inFrames = (tabId, frameIds, func, args = []) =>
  api.scripting.executeScript({ target: frameIds ? { tabId, frameIds } : { tabId, allFrames: true }, func, args });

/** The frame embedding frame `frameId` (which shows `url`): {frameId, allow, origin, url}, or null. */
async function embedderOf(tabId, frameId, url) {
  const timeout = new Promise((resolve) => {
    setTimeout(resolve, ANSWER_MS, null);
  });
  const token = crypto.randomUUID();
  const find = async () => {
    await inFrames(tabId, [frameId], awaitProbe, [ANSWER_MS, token]);
    const probed = await inFrames(tabId, null, probeContainers, [url, token]);
    const [{ result: nonce } = {}] = await inFrames(tabId, [frameId], probeReceived, [token]);
    for (const { frameId: id, result } of probed) {
      const hit = id !== frameId && Array.isArray(result?.sent) ? result.sent.find((probe) => probe?.nonce === nonce) : undefined;
      if (typeof nonce === "string" && typeof hit?.allow === "string" && typeof result.origin === "string" && typeof result.url === "string") {
        return { frameId: id, allow: hit.allow, origin: result.origin, url: result.url };
      }
    }
    return null;
  };
  try {
    return await Promise.race([find(), timeout]);
  } catch {
    return null; // the tab went away, or a frame cannot be scripted
  }
}

/**
 * The features every embedder between the top-level page (origin `topOrigin`) and frame `frameId`
 * (showing `url`, of origin `origin`) delegates to it: what the chain's weakest link allows.
 */
export async function embedderAllows(tabId, frameId, url, origin, topOrigin, depth = 0) {
  if (frameId === 0 || origin === topOrigin) return FEATURES;
  if (depth >= MAX_DEPTH || !Number.isInteger(tabId) || typeof url !== "string") return [];
  const embedder = await embedderOf(tabId, frameId, url);
  if (!embedder) return [];
  const context = { origin, src: url, embedder: embedder.origin };
  const here = FEATURES.filter((feature) => delegates(embedder.allow, feature, context));
  const above = here.length ? await embedderAllows(tabId, embedder.frameId, embedder.url, embedder.origin, topOrigin, depth + 1) : [];
  return here.filter((feature) => above.includes(feature));
}
