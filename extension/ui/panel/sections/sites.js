// Sites: every origin navllm has a decision about, with its scope, quotas, usage today and
// any embargo; edit, revoke, lift embargoes, add a site by hand.
import { confirmButton, field, fmtDate, fmtDateTime, fmtNumber, h, plural } from "../../common/ui.js";

const STATE = {
  granted: ["ok", "Allowed"],
  denied: ["bad", "Blocked"],
  once: ["ok", "Allowed once"],
  embargoed: ["warn", "Blocked for now"],
};

// Private-window decisions live apart (in the host's memory only); the user picks which to see.
const view = { incognito: false };

export default {
  id: "sites",
  title: "Sites",
  async render(ctx) {
    const { client, root } = ctx;
    const [grants, quotas, summary, chain] = await Promise.all([
      client.request("grants.list", { incognito: view.incognito }),
      client.request("quotas.get"),
      client.request("usage.summary"),
      client.request("providers.list"),
    ]);
    const sites = new Map(); // "origin top" -> record
    const entry = (origin, top) => {
      const key = `${origin} ${top ?? origin}`;
      if (!sites.has(key)) sites.set(key, { origin, top: top && top !== origin ? top : null, grant: null, once: false, embargo: null });
      return sites.get(key);
    };
    for (const g of grants.grants) entry(g.origin, g.topOrigin).grant = g;
    for (const o of grants.once) entry(o.origin, o.topOrigin).once = true;
    for (const e of grants.embargoes) entry(e.origin, e.topOrigin).embargo = e.until;
    const list = [...sites.values()].sort((a, b) => a.origin.localeCompare(b.origin));

    const windows = h("label", { class: "check" }, h("input", {
      type: "checkbox",
      id: "private-windows",
      checked: view.incognito,
      onchange: (event) => {
        view.incognito = event.target.checked;
        ctx.redraw();
      },
    }), "Show answers given in private windows (forgotten when they close)");
    root.append(
      h("p", { class: "muted" }, "Sites ask before they use AI. Here is every answer you gave; a revoked site asks again next time."),
      windows,
      h("div", { class: "card" },
        list.length
          ? h("ul", { class: "items", id: "site-list" }, list.map((s) => siteItem(ctx, s, quotas, summary, chain)))
          : h("p", { class: "muted", id: "site-list" }, "No site has asked yet."),
      ),
      limitsCard(ctx, quotas),
      addCard(ctx),
    );
  },
};

function siteItem({ call, notify, redraw }, s, quotas, summary, chain) {
  const state = s.embargo ? "embargoed" : s.grant?.state ?? (s.once ? "once" : null);
  const [tone, word] = STATE[state] ?? ["", "Asks"];
  const limits = { ...quotas.default, ...Object.fromEntries(Object.entries(quotas.sites[s.origin] ?? {}).filter(([, v]) => v !== null)) };
  const today = summary.byOrigin[s.origin]?.today;
  const scope = s.grant?.state === "granted" ? s.grant.providers : [];
  const labelOf = (name) => chain.find((p) => p.name === name)?.label || name;
  const where = s.top ? ` inside ${s.top}` : "";

  const meta = [
    state === "granted" ? `May use: ${scope.map(labelOf).join(", ") || "nothing yet"}` : null,
    s.grant?.expiresAt ? `until ${fmtDate(s.grant.expiresAt)}` : null,
    `${fmtNumber(limits.requestsPerMinute)} requests a minute, ${fmtNumber(limits.dailyTokens)} tokens a day`,
    today ? `today ${plural(today.requests, "request")}, ${plural(today.tokens ?? 0, "token")}` : "not used today",
  ].filter(Boolean);

  return h("li", { class: "item", "data-origin": s.origin },
    h("div", { class: "row spread" },
      h("span", { class: "title mono" }, s.origin, s.top ? h("span", { class: "muted" }, where) : null),
      h("span", { class: `badge ${tone}`, "data-state": state ?? "prompt" }, word),
    ),
    h("div", { class: "meta" }, meta.join(" · ")),
    s.embargo ? h("div", { class: "meta" }, `The prompt was closed three times; blocked until ${fmtDateTime(s.embargo)}.`) : null,
    h("div", { class: "actions" },
      s.embargo ? h("button", { type: "button", class: "small", onclick: async () => {
        await call("grants.lift", withTop({ origin: s.origin }, s)).then(() => notify(`${s.origin} may ask again.`), () => {});
        await redraw();
      } }, "Lift block") : null,
      confirmButton("Revoke", "Really revoke?", async () => {
        await call("grants.revoke", withTop({ origin: s.origin }, s)).then(() => notify(`${s.origin} will have to ask again.`), () => {});
        await redraw();
      }, { class: "danger small", "aria-label": `Revoke ${s.origin}` }),
    ),
    editor({ call, notify, redraw }, s, quotas.sites[s.origin] ?? {}, scope, chain),
  );
}

/** The request body for one site: its frame's top-level origin and which windows' answers. */
const withTop = (body, s) => ({ ...body, ...(s.top ? { topOrigin: s.top } : {}), ...(view.incognito ? { incognito: true } : {}) });

function editor({ call, notify, redraw }, s, custom, scope, chain) {
  const name = `state-${s.origin}-${s.top ?? ""}`;
  const allow = h("input", { type: "radio", name, value: "granted", checked: s.grant?.state !== "denied" });
  const block = h("input", { type: "radio", name, value: "denied", checked: s.grant?.state === "denied" });
  const boxes = chain.filter((p) => p.enabled).map((p) => h("input", { type: "checkbox", value: p.name, checked: scope.includes(p.name) }));
  const [rpmField, rpm] = field("Requests a minute", h("input", { type: "number", min: 1, value: custom.requestsPerMinute ?? "", placeholder: "default" }));
  const [dailyField, daily] = field("Tokens a day", h("input", { type: "number", min: 0, value: custom.dailyTokens ?? "", placeholder: "default" }));
  const form = h("form", { class: "stack" },
    h("fieldset", {}, h("legend", {}, "Answer"),
      h("label", { class: "check" }, allow, "Allow"),
      h("label", { class: "check" }, block, "Block")),
    h("fieldset", {}, h("legend", {}, "May use"),
      chain.filter((p) => p.enabled).map((p, i) => h("label", { class: "check" }, boxes[i], p.label || p.name, p.kind === "local" || p.kind === "echo" ? "" : h("span", { class: "badge warn" }, "leaves this device")))),
    h("div", { class: "row" }, rpmField, dailyField),
    h("button", { type: "submit", class: "primary small" }, "Save"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const state = allow.checked ? "granted" : "denied";
    const providers = boxes.filter((b) => b.checked).map((b) => b.value);
    try {
      await call("grants.set", withTop({ origin: s.origin, state, providers }, s));
      const quota = rpm.value === "" && daily.value === ""
        ? { reset: true }
        : { requestsPerMinute: rpm.value === "" ? null : Number(rpm.value), dailyTokens: daily.value === "" ? null : Number(daily.value) };
      await call("quotas.set", { scope: "site", origin: s.origin, ...quota });
      notify(`Saved for ${s.origin}.`);
      await redraw();
    } catch {
      // shown by call()
    }
  });
  return h("details", {}, h("summary", {}, "Edit", h("span", { class: "sr-only" }, ` ${s.origin}`)), form);
}

function limitsCard({ call, notify, redraw }, quotas) {
  const [rpmField, rpm] = field("Requests a minute, per site", h("input", { type: "number", min: 1, value: quotas.default.requestsPerMinute ?? "" }));
  const [dailyField, daily] = field("Tokens a day, per site", h("input", { type: "number", min: 0, value: quotas.default.dailyTokens ?? "" }));
  const [overallField, overall] = field("Tokens a day, all sites", h("input", { type: "number", min: 0, value: quotas.overall.dailyTokens ?? "" }), `Used today: ${fmtNumber(quotas.overall.usedToday)}. Leave a field empty for no limit.`);
  const num = (input) => (input.value === "" ? null : Number(input.value));
  const form = h("form", { class: "card", id: "limits" },
    h("h3", {}, "Limits for every site"),
    h("div", { class: "row" }, rpmField, dailyField),
    overallField,
    h("button", { type: "submit", class: "small primary" }, "Save limits"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("quotas.set", { scope: "default", requestsPerMinute: num(rpm), dailyTokens: num(daily) });
      await call("quotas.set", { scope: "overall", dailyTokens: num(overall) });
      notify("Limits saved.");
      await redraw();
    } catch {
      // shown by call()
    }
  });
  return form;
}

function addCard({ call, notify, redraw }) {
  const [originField, origin] = field("Site address", h("input", { type: "url", required: true, placeholder: "https://example.com", autocomplete: "off", spellcheck: false }));
  const [stateField, state] = field("Answer", h("select", {}, h("option", { value: "granted" }, "Allow (on this device only)"), h("option", { value: "denied" }, "Block")));
  const form = h("form", { class: "card", id: "add-site" }, h("h3", {}, "Add a site"), h("div", { class: "row" }, originField, stateField), h("button", { type: "submit", class: "small primary" }, "Add"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let value;
    try {
      value = new URL(origin.value.trim()).origin;
    } catch {
      notify("Enter a full address such as https://example.com.", "error");
      return;
    }
    const body = { origin: value, state: state.value, providers: state.value === "granted" ? ["local"] : [], incognito: view.incognito };
    await call("grants.set", body).then(() => notify(`${value} is ${state.value === "granted" ? "allowed" : "blocked"}.`), () => {});
    await redraw();
  });
  return form;
}
