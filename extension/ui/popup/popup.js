// The toolbar popup: the current site's standing with navllm and today's use, one-click
// revoke, and a way into the side panel.
import { hostClient } from "../../common/host-client.js";
import { errorText, hostMissing } from "../common/errors.js";
import { plural } from "../common/ui.js";

const api = globalThis.browser ?? globalThis.chrome;
const client = hostClient();
const $ = (id) => document.getElementById(id);
const ELIGIBLE = /^(https:\/\/|http:\/\/(localhost|127\.0\.0\.1)(:\d+)?$)/;

// The panel must open inside the click's user gesture, so the window id is fetched first.
let windowId = null;
api.windows.getCurrent().then((w) => (windowId = w.id));
$("open-panel").addEventListener("click", () => {
  if (api.sidePanel?.open) api.sidePanel.open({ windowId }).then(() => window.close(), () => {});
  else if (api.sidebarAction?.open) api.sidebarAction.open().then(() => window.close(), () => {});
});

/** The origin shown: ?origin=… when given (tests, links), else the active tab's. */
async function currentOrigin() {
  const given = new URLSearchParams(location.search).get("origin");
  if (given) return given;
  const [tab] = await api.tabs.query({ active: true, currentWindow: true });
  try {
    return new URL(tab?.url ?? "").origin;
  } catch {
    return "null";
  }
}

function show(state, tone, detail) {
  $("state").textContent = state;
  $("state").className = `badge ${tone}`;
  $("detail").textContent = detail;
}

async function render() {
  const origin = await currentOrigin();
  $("origin").textContent = origin === "null" ? "This page" : origin;
  $("revoke").hidden = true;
  if (!ELIGIBLE.test(origin)) {
    show("Not available", "", "navllm works on https: sites and on localhost.");
    return;
  }
  const [grants, summary, chain] = await Promise.all([client.request("grants.list"), client.request("usage.summary"), client.request("providers.list")]);
  const labelOf = (name) => chain.find((p) => p.name === name)?.label || name;
  const grant = grants.grants.find((g) => g.origin === origin && g.topOrigin === origin);
  const once = grants.once.some((g) => g.origin === origin);
  const embargo = grants.embargoes.find((e) => e.origin === origin);
  if (embargo) show("Blocked for now", "warn", `The permission prompt was closed three times. It may ask again after ${new Date(embargo.until * 1000).toLocaleDateString()}.`);
  else if (grant?.state === "granted") show("Allowed", "ok", `May use: ${grant.providers.map(labelOf).join(", ") || "nothing yet"}.`);
  else if (grant?.state === "denied") show("Blocked", "bad", "You blocked this site from using AI.");
  else if (once) show("Allowed once", "ok", "Allowed until this page is closed or reloaded.");
  else show("Never asked", "", "The site will ask before it uses AI.");
  $("revoke").hidden = !(grant || once || embargo);
  const today = summary.byOrigin[origin]?.today;
  $("today").textContent = today ? `Today: ${plural(today.requests, "request")}, ${plural(today.tokens ?? 0, "token")}.` : "Not used today.";
  $("revoke").onclick = async () => {
    try {
      await client.request("grants.revoke", { origin });
      if (embargo) await client.request("grants.lift", { origin });
      $("message").className = "notice ok";
      $("message").textContent = "Revoked: the site will have to ask again.";
      await render();
    } catch (err) {
      $("message").className = "notice error";
      $("message").textContent = errorText(err);
    }
  };
}

render().catch((err) => {
  show("Unavailable", "bad", "");
  $("message").className = "notice error";
  $("message").textContent = hostMissing(err) ? "navllm's host program isn't installed. Open settings to see how to install it." : errorText(err);
});
