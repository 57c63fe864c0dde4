// The permission prompt window. Buttons arm only 500 ms after the window is shown and
// focused (again) (a click or key meant for the page must not land on them), nothing has
// focus by default, and each online service needs its own tick because data leaves the device.
const api = globalThis.browser ?? globalThis.chrome;

export const ARM_DELAY_MS = 500;
const DECISION_MESSAGE = "navllm-permission-decision";

const params = new URLSearchParams(location.search);
const key = params.get("key");
const ask = JSON.parse(params.get("ask") ?? "{}");
const remoteNames = new Set(ask.remoteProviders ?? []);
const localNames = (ask.providers ?? []).filter((name) => !remoteNames.has(name));

const $ = (id) => document.getElementById(id);
const buttons = [...document.querySelectorAll("button[data-decision]")];
let armed = false;
let answered = false;

// The full origin on one line, cut from the left by CSS so its end (the real domain) stays in
// view; all of it in the tooltip and for screen readers.
function showOrigin(id, origin) {
  $(id).title = origin;
  $(id).firstElementChild.textContent = origin;
}

function render() {
  // The host names the registrable domain: what the user actually decides about.
  $("site").textContent = ask.site ?? ask.origin;
  showOrigin("origin", ask.origin);
  if (ask.topOrigin) {
    $("top-site").textContent = ask.topSite ?? ask.topOrigin;
    showOrigin("top-origin", ask.topOrigin);
    $("frame").hidden = false;
  }
  $("private").hidden = !ask.incognito;
  if (localNames.length) {
    $("local-names").textContent = localNames.join(", ");
    $("local").hidden = false;
  }
  for (const name of remoteNames) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = name;
    box.addEventListener("change", update);
    label.append(box, ` Send to ${name}`);
    item.append(label);
    $("remote-list").append(item);
  }
  $("remote").hidden = $("leaves").hidden = remoteNames.size === 0;
}

const chosen = () => [...localNames, ...[...document.querySelectorAll("#remote-list input:checked")].map((box) => box.value)];

function update() {
  const nothing = chosen().length === 0;
  $("nothing").hidden = !nothing;
  for (const button of buttons) {
    button.disabled = answered || !armed || (nothing && button.dataset.decision !== "deny");
  }
}

// Armed once the window has been visible and focused for ARM_DELAY_MS without a break. Polled
// as well as event-driven, since a focus event is not guaranteed when a window comes back.
let shownSince = null;

function check() {
  const shown = document.visibilityState === "visible" && document.hasFocus();
  if (!shown) shownSince = null;
  else shownSince ??= performance.now();
  const now = shownSince !== null && performance.now() - shownSince >= ARM_DELAY_MS;
  if (now !== armed) {
    armed = now;
    update();
  }
}

async function answer(decision) {
  if (!armed || answered) return;
  answered = true;
  update();
  await api.runtime.sendMessage({ type: DECISION_MESSAGE, key, decision, providers: decision === "deny" ? [] : chosen() });
}

render();
update();
for (const button of buttons) button.addEventListener("click", () => answer(button.dataset.decision));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") window.close(); // a dismissal, like the window's close button
});
window.addEventListener("blur", check);
document.addEventListener("visibilitychange", check);
setInterval(check, 50);
check();
