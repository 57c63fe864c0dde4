// Providers: the fallback chain in order, keys (write-only), tests with latency, presets,
// and the key vault for systems without a keychain.
import { confirmButton, field, fmtDate, h } from "../../common/ui.js";
import { errorText } from "../../common/errors.js";

const REMOTE = new Set(["openai", "anthropic"]);
// A provider's own values, over its preset's defaults (the host fills those in when it runs).
const withValues = (p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null && v !== ""));

const KIND_LABEL = { local: "On this device", openai: "OpenAI-compatible", anthropic: "Anthropic", echo: "Test echo" };
// What each API can carry besides text (Anthropic's has no audio); the model may read less.
const MEDIA_INPUTS = { openai: ["image", "audio"], anthropic: ["image"] };
const INPUT_LABEL = { image: "Images", audio: "Audio" };

/** Checkboxes for the media a model reads; `onChange(inputs)` gets the full list, text first. */
function inputChecks(kind, inputs, label, onChange) {
  const boxes = (MEDIA_INPUTS[kind] ?? []).map((type) => {
    const box = h("input", { type: "checkbox", checked: inputs.includes(type), "data-input": type, "aria-label": `${label} reads ${INPUT_LABEL[type].toLowerCase()}` });
    return [type, box, h("label", { class: "check" }, box, h("span", {}, INPUT_LABEL[type]))];
  });
  const read = () => ["text", ...boxes.filter(([, box]) => box.checked).map(([type]) => type)];
  for (const [, box] of boxes) box.addEventListener("change", () => onChange?.(read(), box));
  return { read, element: h("div", { class: "row inputs", role: "group", "aria-label": `What ${label} reads` }, h("span", { class: "meta" }, "Reads text and"), boxes.map(([, , el]) => el)) };
}

export default {
  id: "providers",
  title: "Providers",
  async render(ctx) {
    const { client, root } = ctx;
    const [chain, presets, keys, vault] = await Promise.all([
      client.request("providers.list"),
      client.request("providers.presets"),
      client.request("keys.status"),
      client.request("vault.status"),
    ]);
    const keyOf = new Map(keys.map((k) => [k.provider, k]));
    const vaultNeeded = vault.newKeysGoTo === "vault";
    if (vaultNeeded) root.append(vaultCard(ctx, vault));
    root.append(
      h("div", { class: "card" },
        h("h3", {}, "Fallback order"),
        h("p", { class: "muted" }, "A site's request goes to the first provider it is allowed to use; if that one fails, to the next."),
        h("ol", { class: "items", id: "provider-list" }, chain.map((p, i) => providerItem(ctx, { ...presets.find((x) => x.id === p.preset), ...withValues(p) }, i, chain, keyOf.get(p.name), vaultNeeded && !vault.unlocked))),
      ),
      addCard(ctx, presets, chain),
    );
  },
};

function providerItem({ call, notify, redraw }, p, index, chain, key, vaultLocked) {
  const label = p.label || p.name;
  const move = async (to) => {
    const names = chain.map((x) => x.name);
    names.splice(index, 1);
    names.splice(to, 0, p.name);
    await call("providers.order", { names }).then(() => notify(`${label} is now number ${to + 1} in the order.`), () => {});
    await redraw();
    document.querySelector(`[data-provider="${CSS.escape(p.name)}"] [data-move="${to > index ? "down" : "up"}"]`)?.focus();
  };
  const result = h("span", { class: "meta", "aria-live": "polite", "data-test-result": "" });
  const test = h("button", {
    type: "button",
    class: "small",
    "aria-label": `Test ${label}`,
    onclick: async () => {
      test.disabled = true;
      result.textContent = "Testing…";
      try {
        const r = await call("providers.test", { name: p.name });
        result.className = r.ok ? "badge ok" : "badge bad";
        result.textContent = r.ok ? `Works · ${Math.round(r.latencyMs)} ms` : errorText(r.error ?? {});
      } catch (err) {
        result.className = "badge bad";
        result.textContent = errorText(err);
      } finally {
        test.disabled = false;
      }
    },
  }, "Test");
  const enabled = h("input", { type: "checkbox", checked: p.enabled, "aria-label": `Use ${label}` });
  enabled.addEventListener("change", async () => {
    await call("providers.update", { name: p.name, changes: { enabled: enabled.checked } }).then(
      () => notify(`${label} is ${enabled.checked ? "on" : "off"}.`),
      () => (enabled.checked = !enabled.checked),
    );
  });
  return h("li", { class: "item", "data-provider": p.name },
    h("div", { class: "row spread" },
      h("label", { class: "check title" }, enabled, h("span", {}, `${index + 1}. ${label}`)),
      h("span", { class: REMOTE.has(p.kind) ? "badge warn" : "badge ok" }, REMOTE.has(p.kind) ? "Leaves this device" : "Stays on this device"),
    ),
    h("div", { class: "meta" }, [KIND_LABEL[p.kind] ?? p.kind, p.model, p.baseUrl].filter(Boolean).join(" · ")),
    REMOTE.has(p.kind) ? inputChecks(p.kind, p.resolvedInputs ?? [], label, async (inputs, box) => {
      await call("providers.update", { name: p.name, changes: { inputs } }).then(
        () => notify(`${label} now reads ${inputs.join(", ")}.`),
        () => (box.checked = !box.checked),
      );
    }).element : null,
    REMOTE.has(p.kind) ? keyRow({ call, notify, redraw }, p, key, vaultLocked) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "small", "data-move": "up", disabled: index === 0, "aria-label": `Move ${label} up`, onclick: () => move(index - 1) }, "↑ Up"),
      h("button", { type: "button", class: "small", "data-move": "down", disabled: index === chain.length - 1, "aria-label": `Move ${label} down`, onclick: () => move(index + 1) }, "↓ Down"),
      test,
      p.name === "local" ? null : confirmButton("Remove", "Really remove?", async () => {
        await call("providers.remove", { name: p.name, deleteKey: true }).then(() => notify(`${label} was removed, with its key.`), () => {});
        await redraw();
      }, { class: "danger small", "aria-label": `Remove ${label}` }),
    ),
    result,
  );
}

/** The key is write-only: the field is always empty; only "set on <date>" is ever shown. */
function keyRow({ call, notify, redraw }, p, key, vaultLocked) {
  const label = p.label || p.name;
  const input = h("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    placeholder: key?.present ? "Enter a new key to replace it" : "Paste the API key",
    "aria-label": `API key for ${label}`,
    disabled: vaultLocked,
  });
  const form = h("form", { class: "row key-form" },
    h("span", { class: key?.present ? "badge ok" : "badge warn", "data-key-state": "" }, key?.present ? `Key set on ${fmtDate(key.setAt)}` : "No key set"),
    input,
    h("button", { type: "submit", class: "small primary", disabled: vaultLocked }, key?.present ? "Replace key" : "Save key"),
    vaultLocked ? h("small", { class: "hint" }, "Unlock the key vault above to save a key.") : null,
    key?.present ? confirmButton("Forget key", "Really forget?", async () => {
      await call("keys.delete", { provider: p.name }).then(() => notify(`The key for ${label} was deleted.`), () => {});
      await redraw();
    }, { class: "danger small" }) : null,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const secret = input.value;
    input.value = ""; // never keep the key in the page longer than the request
    if (!secret.trim()) return;
    await call("keys.set", { provider: p.name, secret }).then(() => notify(`The key for ${label} is saved. It can't be shown again.`), () => {});
    await redraw();
  });
  return form;
}

function vaultCard({ call, notify, redraw }, vault) {
  const [passField, pass] = field(vault.exists ? "Vault passphrase" : "Choose a vault passphrase", h("input", { type: "password", autocomplete: vault.exists ? "current-password" : "new-password", required: true }));
  const form = h("form", { class: "card", id: "vault" },
    h("div", { class: "row spread" }, h("h3", {}, "Key vault"), h("span", { class: vault.unlocked ? "badge ok" : "badge warn" }, vault.unlocked ? "Unlocked" : "Locked")),
    h("p", { class: "muted" }, "The system keychain isn't available, so navllm keeps API keys in its own encrypted vault. " + (vault.unlocked ? "It stays unlocked until the browser closes." : vault.exists ? "Unlock it to use or change keys." : "Choose a passphrase to create it.")),
    vault.unlocked ? h("button", { type: "button", onclick: async () => { await call("vault.lock").then(() => notify("The vault is locked."), () => {}); await redraw(); } }, "Lock") : [passField, h("button", { type: "submit", class: "primary" }, vault.exists ? "Unlock" : "Create vault")],
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const passphrase = pass.value;
    pass.value = "";
    await call("vault.unlock", { passphrase }).then(() => notify("The vault is unlocked."), () => {});
    await redraw();
  });
  return form;
}

function addCard({ call, notify, redraw }, presets, chain) {
  const custom = { id: "", label: "Other OpenAI-compatible service", kind: "openai", baseUrl: "", model: "", keyNeeded: true };
  const options = [...presets, custom];
  const [presetField, preset] = field("Service", h("select", {}, options.map((o) => h("option", { value: o.id }, o.label))));
  const [nameField, name] = field("Short name", h("input", { type: "text", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,31}", autocomplete: "off", spellcheck: false }), "Lower-case letters, digits, - and _.");
  const [urlField, url] = field("Address (base URL)", h("input", { type: "url", autocomplete: "off", spellcheck: false }));
  const [modelField, model] = field("Model", h("input", { type: "text", autocomplete: "off", spellcheck: false }));
  const signup = h("p", { class: "meta" });
  const reads = h("div", {});
  let inputs;
  const fill = () => {
    const chosen = options.find((o) => o.id === preset.value) ?? custom;
    const taken = new Set(chain.map((p) => p.name));
    let candidate = chosen.id || "custom";
    for (let n = 2; taken.has(candidate); n += 1) candidate = `${chosen.id || "custom"}-${n}`;
    name.value = candidate;
    url.value = chosen.baseUrl ?? "";
    model.value = chosen.model ?? "";
    url.required = !chosen.id;
    inputs = inputChecks(chosen.kind, chosen.inputs ?? ["text", "image"], "the new provider");
    reads.replaceChildren(inputs.element, h("small", { class: "hint" }, "What the model you name reads; check its documentation."));
    signup.replaceChildren(chosen.signupUrl ? h("span", {}, "Get a key at ", h("span", { class: "mono" }, chosen.signupUrl)) : "");
  };
  preset.addEventListener("change", fill);
  fill();
  const form = h("form", { class: "card", id: "add-provider", "aria-labelledby": "add-provider-title" },
    h("h3", { id: "add-provider-title" }, "Add an online service"),
    h("p", { class: "muted" }, "Text that sites send to an online service leaves this device. Each site must be allowed to use it separately."),
    presetField, nameField, urlField, modelField, reads, signup,
    h("button", { type: "submit", class: "primary" }, "Add service"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = options.find((o) => o.id === preset.value) ?? custom;
    const provider = { name: name.value.trim(), kind: chosen.kind, label: chosen.id ? chosen.label : name.value.trim() };
    if (chosen.id) provider.preset = chosen.id;
    if (url.value.trim()) provider.baseUrl = url.value.trim();
    if (model.value.trim()) provider.model = model.value.trim();
    // Only a choice that differs from the preset's is stored, so the preset keeps speaking for its model.
    const read = inputs.read();
    if (read.join() !== (chosen.inputs ?? []).join()) provider.inputs = read;
    await call("providers.add", { provider }).then(() => notify(`${provider.label} was added. Now set its key.`), () => {});
    await redraw();
  });
  return form;
}
