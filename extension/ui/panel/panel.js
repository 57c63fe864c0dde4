// The settings side panel (also opened as a tab): a tab list of sections, each drawn by its
// own module from the host's admin API. The section shown follows the URL hash (#models …).
import { hostClient } from "../../common/host-client.js";
import { errorText, hostMissing } from "../common/errors.js";
import { h } from "../common/ui.js";
import status from "./sections/status.js";
import models from "./sections/models.js";
import providers from "./sections/providers.js";
import sites from "./sections/sites.js";
import usage from "./sections/usage.js";
import about from "./sections/about.js";
import install from "./sections/install.js";

const SECTIONS = [status, models, providers, sites, usage, about];
const client = hostClient();
const tabs = document.getElementById("tabs");
const view = document.getElementById("view");
const notice = document.getElementById("notice");
let current = null;
let drawing = 0;

/** Show a message (or an error from the host, in plain words) in the live region. */
function notify(message, kind = "ok") {
  const text = message instanceof Error ? errorText(message) : message;
  notice.className = `notice ${message instanceof Error ? "error" : kind}`;
  notice.textContent = text;
}

/** Run an admin request; failures are shown and rethrown. */
async function call(type, body = {}, options = {}) {
  try {
    return await client.request(type, body, options);
  } catch (err) {
    if (err.name !== "AbortError") notify(err);
    throw err;
  }
}

const buttons = new Map(
  SECTIONS.map((section) => {
    const button = h("button", {
      type: "button",
      role: "tab",
      id: `tab-${section.id}`,
      "aria-controls": "view",
      "aria-selected": "false",
      tabindex: "-1",
      onclick: () => go(section.id),
    }, section.title);
    tabs.append(button);
    return [section.id, button];
  }),
);

// Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
tabs.addEventListener("keydown", (event) => {
  const ids = SECTIONS.map((s) => s.id);
  const at = ids.indexOf(current?.id);
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: ids.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  go(ids[(next + ids.length) % ids.length], { focusTab: true });
});

function go(id, { focusTab = false } = {}) {
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  show(SECTIONS.find((s) => s.id === id) ?? status, focusTab);
}

async function show(section, focusTab = false) {
  current = section;
  const run = ++drawing;
  for (const [id, button] of buttons) {
    const selected = id === section.id;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
  if (focusTab) buttons.get(section.id).focus();
  view.setAttribute("aria-labelledby", `tab-${section.id}`);
  notice.textContent = "";
  await draw(section, run);
}

/** Draw a section into a fresh container; a later navigation wins over a slow draw. */
async function draw(section, run = ++drawing) {
  const root = h("div");
  view.setAttribute("aria-busy", "true");
  const ctx = { client, call, notify, go, root, redraw: () => draw(section) };
  try {
    await section.render(ctx);
  } catch (err) {
    if (run !== drawing) return;
    if (hostMissing(err)) return drawInstall(err);
    root.append(h("p", { class: "notice error", role: "alert" }, errorText(err)));
  }
  if (run !== drawing) return;
  const focus = focusPlace();
  view.replaceChildren(h("h2", {}, section.title), root);
  view.setAttribute("aria-busy", "false");
  restoreFocus(focus);
}

// A redraw replaces every element: keyboard users keep their place on the same control.
const FOCUSABLE = "button, input, select, summary, a[href]";
const nameOf = (el) => el.getAttribute("aria-label") ?? el.textContent;

function focusPlace() {
  const el = document.activeElement;
  if (!view.contains(el)) return null;
  return { index: [...view.querySelectorAll(FOCUSABLE)].indexOf(el), name: nameOf(el) };
}

function restoreFocus(place) {
  if (!place) return;
  const all = [...view.querySelectorAll(FOCUSABLE)];
  (all.find((el) => nameOf(el) === place.name) ?? all[Math.min(place.index, all.length - 1)] ?? document.getElementById("main")).focus();
}

/** The host program could not be started: explain how to install it. */
async function drawInstall(err) {
  const root = h("div");
  await install.render({ root, error: err, retry: () => go(current?.id ?? "status") });
  notice.textContent = "";
  view.replaceChildren(h("h2", {}, install.title), root);
  view.setAttribute("aria-busy", "false");
}

window.addEventListener("hashchange", () => go(location.hash.slice(1)));
go(location.hash.slice(1) || "status");
