// The permission prompt window. Buttons arm only 500 ms after the window is shown or
// focused again (a click or key meant for the page must not land on them), nothing has
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
let armTimer = null;
let armed = false;
let answered = false;

function render() {
  $("origin").textContent = ask.origin ?? "this site";
  if (ask.topOrigin) {
    $("top-origin").textContent = ask.topOrigin;
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
  $("remote").hidden = remoteNames.size === 0;
}

const chosen = () => [...localNames, ...[...document.querySelectorAll("#remote-list input:checked")].map((box) => box.value)];

function update() {
  const nothing = chosen().length === 0;
  $("nothing").hidden = !nothing;
  for (const button of buttons) {
    button.disabled = !armed || (nothing && button.dataset.decision !== "deny");
  }
}

function disarm() {
  armed = false;
  clearTimeout(armTimer);
  update();
}

function arm() {
  disarm();
  armTimer = setTimeout(() => {
    armed = document.visibilityState === "visible";
    update();
  }, ARM_DELAY_MS);
}

async function answer(decision) {
  if (!armed || answered) return;
  answered = true;
  for (const button of buttons) button.disabled = true;
  await api.runtime.sendMessage({ type: DECISION_MESSAGE, key, decision, providers: decision === "deny" ? [] : chosen() });
}

render();
update();
for (const button of buttons) button.addEventListener("click", () => answer(button.dataset.decision));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") window.close(); // a dismissal, like the window's close button
});
// Re-arm whenever the window comes back: the 500 ms count starts when the user can see it.
window.addEventListener("blur", disarm);
window.addEventListener("focus", arm);
document.addEventListener("visibilitychange", () => (document.visibilityState === "visible" ? arm() : disarm()));
arm();
