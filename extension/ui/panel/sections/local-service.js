// The "Local service" card, on Status and on the install page: which transport reaches the
// host, and pairing with navllm serve for browsers that cannot start the host themselves.
// The background does the talking and keeps the token; this page only ever sees the name.
import { confirmButton, field, h } from "../../common/ui.js";

const api = globalThis.browser ?? globalThis.chrome;

const TRANSPORTS = {
  native: ["ok", "Native messaging"],
  daemon: ["ok", "navllm serve"],
  none: ["warn", "Not connected"],
};

/** One pairing action in the background (background/pairing.js); rejects with its error. */
async function ask(action, body = {}) {
  const answer = await api.runtime.sendMessage({ type: "navllm-pairing", action, ...body });
  if (answer?.error) throw Object.assign(new Error(answer.error.message), { name: answer.error.name });
  return answer?.data;
}

/** The card; `changed` runs after a pairing is made or forgotten (the caller redraws). */
export async function localServiceCard({ changed }) {
  const state = await ask("state");
  const message = h("p", { id: "local-service-message", role: "status", "aria-live": "polite" });
  const say = (text, kind = "ok") => {
    message.className = `notice ${kind}`;
    message.textContent = text;
  };
  const acting = (action) => async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      say(err.message, "error");
    }
  };

  const [portField, portInput] = field("Port of navllm serve", h("input", { type: "number", min: 1, max: 65535, value: state.port }));
  portInput.addEventListener("change", acting(async () => {
    await ask("setPort", { port: Number(portInput.value) });
    say("Saved.");
  }));

  const codeForm = h("form", { class: "inline", id: "pairing-code", hidden: true });
  const pairButton = h("button", { type: "button", class: "primary", onclick: acting(async () => {
    const started = await ask("pair");
    const [codeField, code] = field("Pairing code", h("input", { inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: 6, required: true }));
    codeForm.replaceChildren(
      h("p", {}, "In a terminal, run ", h("code", {}, "navllm pair"), " and type the 6-digit code it shows."),
      codeField,
      h("button", { type: "submit", class: "primary" }, "Confirm"),
    );
    codeForm.onsubmit = acting(async (event) => {
      event.preventDefault();
      const paired = await ask("confirm", { pairing: started.pairing, code: code.value });
      say(`Paired as ${paired.name}.`);
      changed();
    });
    codeForm.hidden = false;
    code.focus();
  }) }, "Pair with navllm serve");

  const [badgeKind, badgeText] = TRANSPORTS[state.transport] ?? TRANSPORTS.none;
  return h("div", { class: "card stack", id: "local-service" },
    h("div", { class: "row spread" }, h("h3", {}, "Local service"), h("span", { class: `badge ${badgeKind}`, id: "transport", "data-transport": state.transport }, badgeText)),
    h("p", { class: "muted" }, "Where this browser can't start navllm's host program itself (as in Snap and Flatpak browsers), it can reach navllm serve running on this computer instead."),
    state.paired
      ? [
        h("div", { class: "row" },
          h("span", { id: "paired" }, `Paired as ${state.name}.`),
          confirmButton("Forget pairing", "Really forget?", acting(async () => {
            await ask("forget");
            changed();
          }))),
        h("small", { class: "hint" }, "Forgetting revokes the pairing in navllm serve too, so a copy of it stops working there; ", h("code", {}, `navllm tokens revoke ${state.name}`), " does the same from a terminal."),
      ]
      : h("div", { class: "row" }, pairButton),
    codeForm,
    portField,
    message,
  );
}
