// Usage: tokens and requests per day stacked by site, by provider or by API over 7/30/90 days,
// a filterable table, and the history settings (on/off, retention, clear, export).
import { confirmButton, download, field, fmtNumber, h } from "../../common/ui.js";
import { PALETTE, stackedBars } from "./chart.js";

const DAY = 86_400_000;
// The host logs what each request did; people know the APIs. Opening a session or a task
// instance is one "create" whatever the API, so it is counted on its own.
const API_OF_ACTION = {
  prompt: "Prompt API", append: "Prompt API", create: "Sessions opened", embed: "Embeddings",
  summarize: "Summarizer", write: "Writer", rewrite: "Rewriter", proofread: "Proofreader",
  translate: "Translator", "detect-language": "Language detector",
};
const apiOf = (action) => API_OF_ACTION[action] ?? action;
const view = { days: 7, by: "origin", origin: "", provider: "", api: "" }; // kept while the panel is open

/** The last `days` UTC days, oldest first, as "YYYY-MM-DD" (the host's day keys). */
const dayKeys = (days) => Array.from({ length: days }, (_, i) => new Date(Date.now() - (days - 1 - i) * DAY).toISOString().slice(0, 10));

function segmented(legend, name, options, value, onChange) {
  return h("fieldset", { class: "segmented", role: "radiogroup" },
    h("legend", { class: "sr-only" }, legend),
    options.map(([v, text]) => {
      const input = h("input", { type: "radio", name, value: String(v), checked: v === value });
      input.addEventListener("change", () => onChange(v));
      return h("label", {}, input, h("span", {}, text));
    }));
}

/** Group rows into at most PALETTE.length series (the smallest are summed as "Other"). */
function seriesOf(rows, days, key, measure) {
  const index = new Map(days.map((d, i) => [d, i]));
  const byName = new Map();
  for (const r of rows) {
    if (!index.has(r.day)) continue;
    const values = byName.get(r[key]) ?? new Array(days.length).fill(0);
    values[index.get(r.day)] += measure(r);
    byName.set(r[key], values);
  }
  const all = [...byName].map(([name, values]) => ({ name, values, total: values.reduce((a, b) => a + b, 0) })).sort((a, b) => b.total - a.total);
  if (all.length <= PALETTE.length) return all;
  const kept = all.slice(0, PALETTE.length - 1);
  const rest = all.slice(PALETTE.length - 1);
  kept.push({ name: `${rest.length} others`, values: days.map((_, i) => rest.reduce((s, x) => s + x.values[i], 0)) });
  return kept;
}

export default {
  id: "usage",
  title: "Usage",
  async render(ctx) {
    const { client, root } = ctx;
    const [series, settings] = await Promise.all([client.request("usage.series", { days: view.days }), client.request("settings.get")]);
    const rows = series.map((r) => ({ ...r, api: apiOf(r.action) }));
    const days = dayKeys(view.days);
    const shown = rows.filter((r) => ["origin", "provider", "api"].every((k) => !view[k] || r[k] === view[k]));
    const key = view.by;
    const tokens = (r) => (r.inputTokens ?? 0) + (r.outputTokens ?? 0);

    const controls = h("div", { class: "row", id: "usage-controls" },
      segmented("Period", "days", [[7, "7 days"], [30, "30 days"], [90, "90 days"]], view.days, (v) => { view.days = v; ctx.redraw(); }),
      segmented("Stack by", "by", [["origin", "By site"], ["provider", "By provider"], ["api", "By API"]], view.by, (v) => { view.by = v; ctx.redraw(); }),
    );
    const filters = filterRow(ctx, rows);
    root.append(
      controls,
      h("div", { class: "card", id: "chart-tokens" }, h("h3", {}, "Tokens per day"), stackedBars(days, seriesOf(shown, days, key, tokens), { title: "Tokens per day", unit: "tokens" })),
      h("div", { class: "card", id: "chart-requests" }, h("h3", {}, "Requests per day"), stackedBars(days, seriesOf(shown, days, key, (r) => r.requests), { title: "Requests per day", unit: "requests" })),
      h("div", { class: "card" }, h("h3", {}, "Details"), filters, table(shown)),
      historyCard(ctx, settings),
    );
  },
};

function filterRow(ctx, rows) {
  const choice = (label, prop) => {
    const names = [...new Set(rows.map((r) => r[prop]))].sort();
    if (view[prop] && !names.includes(view[prop])) names.unshift(view[prop]);
    const [wrap, select] = field(label, h("select", {}, h("option", { value: "" }, "All"), names.map((n) => h("option", { value: n, selected: n === view[prop] }, n))));
    select.addEventListener("change", () => { view[prop] = select.value; ctx.redraw(); });
    return wrap;
  };
  return h("div", { class: "row" }, choice("Site", "origin"), choice("Provider", "provider"), choice("API", "api"));
}

function table(rows) {
  if (!rows.length) return h("p", { class: "muted", id: "usage-table" }, "Nothing recorded in this period.");
  const sorted = [...rows].sort((a, b) => b.day.localeCompare(a.day) || a.origin.localeCompare(b.origin) || a.api.localeCompare(b.api));
  return h("div", { class: "table-wrap" }, h("table", { id: "usage-table" },
    h("caption", { class: "sr-only" }, "Usage per day, site, provider and API"),
    h("thead", {}, h("tr", {}, ["Day", "Site", "Provider", "API"].map((t) => h("th", { scope: "col" }, t)), ["Requests", "Tokens in", "Tokens out", "Errors"].map((t) => h("th", { scope: "col", class: "num" }, t)))),
    h("tbody", {}, sorted.map((r) => h("tr", {},
      h("td", {}, r.day), h("td", { class: "mono" }, r.origin), h("td", {}, r.provider ?? "—"), h("td", {}, r.api),
      [r.requests, r.inputTokens, r.outputTokens, r.errors].map((n) => h("td", { class: "num" }, fmtNumber(n))),
    ))),
  ));
}

function historyCard({ call, notify, redraw }, settings) {
  const enabled = h("input", { type: "checkbox", id: "history-on", checked: settings.historyEnabled });
  const [retentionField, retention] = field("Keep records for (days)", h("input", { type: "number", min: 1, max: 3650, value: settings.historyRetentionDays }));
  const save = async (values, message) => {
    await call("settings.set", { values }).then(() => notify(message), () => {});
  };
  enabled.addEventListener("change", () => save({ historyEnabled: enabled.checked }, enabled.checked ? "Prompts and replies will be kept." : "Prompts and replies will no longer be kept."));
  retention.addEventListener("change", () => save({ historyRetentionDays: Number(retention.value) }, `Records are kept for ${retention.value} days.`));
  const exporter = (format) => h("button", {
    type: "button",
    class: "small",
    onclick: async () => {
      const out = await call("usage.export", { format }).catch(() => null);
      if (!out) return;
      download(`navllm-usage-${new Date().toISOString().slice(0, 10)}.${format}`, out.body, format === "json" ? "application/json" : "text/csv");
      notify(`Exported the usage log as ${format.toUpperCase()}.`);
    },
  }, `Export ${format.toUpperCase()}`);
  const scope = view.origin;
  return h("div", { class: "card", id: "history" },
    h("h3", {}, "History"),
    h("label", { class: "check" }, enabled, "Also keep the text of prompts and replies"),
    h("p", { class: "meta" }, "Counts (time, site, provider, tokens) are always recorded so limits work. Text is kept only when this is on."),
    retentionField,
    h("div", { class: "row" },
      exporter("json"),
      exporter("csv"),
      confirmButton(scope ? `Clear ${scope}` : "Clear all", "Really clear?", async () => {
        await call("usage.clear", scope ? { origin: scope } : {}).then(() => notify(scope ? `Cleared the usage of ${scope}.` : "Cleared the whole usage log."), () => {});
        await redraw();
      }, { class: "danger small" }),
    ),
  );
}
