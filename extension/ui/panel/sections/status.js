// Status: is the host connected, which versions, and a checklist of what needs attention.
import { confirmButton, field, h } from "../../common/ui.js";
import { localServiceCard } from "./local-service.js";

const api = globalThis.browser ?? globalThis.chrome;

const check = (state, text, action) =>
  h("li", {},
    h("span", { class: `mark ${state}`, "aria-hidden": "true" }, { ok: "✓", warn: "!", bad: "✕" }[state]),
    h("span", {}, h("span", { class: "sr-only" }, { ok: "OK: ", warn: "Needs attention: ", bad: "Problem: " }[state]), text, action ? [" ", action] : null),
  );

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`;

// The local model's KV caches: in all, against what is kept for idle sessions, and the sites holding most.
const sessionMemory = (m) => (m ? `${mib(m.bytes)} (idle sessions beyond ${mib(m.budget)} are trimmed)` : "—");
const sessionMemoryDetail = (m) => (m?.origins ?? []).slice(0, 5).map((o) => `${o.origin}: ${mib(o.bytes)}`).join("\n");

export default {
  id: "status",
  title: "Status",
  async render({ client, call, notify, go, root, redraw }) {
    // A damaged keys.json fails keys.status: the rest of the page (and the repair) still shows.
    const [status, settings, models, keys, vault, storage] = await Promise.all([
      client.request("status"),
      client.request("settings.get"),
      client.request("models.list"),
      client.request("keys.status").catch(() => []),
      client.request("vault.status"),
      client.request("storage.check"),
    ]);
    const localService = await localServiceCard({ changed: redraw });
    const damaged = storage.files.filter((f) => f.damaged);
    const link = (id, text) => h("button", { type: "button", class: "small", onclick: () => go(id) }, text);
    const remote = settings.providers.filter((p) => p.kind === "openai" || p.kind === "anthropic");
    const withKey = new Set(keys.filter((k) => k.present).map((k) => k.provider));
    const missingKeys = remote.filter((p) => p.enabled && !withKey.has(p.name));
    const chat = models.defaults.chat;

    const checks = [
      check("ok", `Host program connected (version ${status.host}, protocol ${status.protocol}).`),
      chat
        ? check("ok", `Local model ready: ${chat}.`)
        : check("warn", "No local model installed yet: sites can only use online services.", link("models", "Add a model")),
      remote.length
        ? missingKeys.length
          ? check("warn", `No API key for ${missingKeys.map((p) => p.label || p.name).join(", ")}.`, link("providers", "Set a key"))
          : check("ok", `${remote.length} online service${remote.length > 1 ? "s" : ""} configured, keys set.`)
        : check("ok", "No online services: everything runs on this device."),
      vault.newKeysGoTo === "vault" && vault.exists && !vault.unlocked
        ? check("warn", "The system keychain isn't available and navllm's key vault is locked.", link("providers", "Unlock"))
        : check("ok", vault.newKeysGoTo === "vault" ? "Keys are kept in navllm's encrypted vault." : "Keys are kept in the system keychain."),
    ];

    const replace = h("input", { type: "checkbox", id: "opt-replace", checked: settings.replaceNativePromptApi });
    replace.addEventListener("change", async () => {
      try {
        await call("settings.set", { values: { replaceNativePromptApi: replace.checked } });
        notify(replace.checked ? "Pages now get navllm's Prompt API even where the browser has its own." : "Pages keep the browser's own Prompt API where it has one.");
      } catch {
        replace.checked = !replace.checked;
      }
    });
    const [threadsField, threads] = field("Processor threads for local models", h("input", { type: "number", min: 1, max: 256, placeholder: "automatic", value: settings.threads ?? "" }), "Leave empty to let navllm choose.");
    threads.addEventListener("change", async () => {
      const value = threads.value === "" ? null : Number(threads.value);
      await call("settings.set", { values: { threads: value } }).then(() => notify("Saved."), () => {});
    });

    // The installer's check spawns a host per registered browser: fetched after the rest is shown.
    const registrations = h("ul", { class: "checks", id: "registrations", "aria-busy": "true" }, h("li", {}, "Checking…"));
    client.request("doctor").then(
      (report) => {
        const registered = report.filter((entry) => !entry.lines.includes("  not registered"));
        registrations.replaceChildren(
          ...(registered.length
            ? registered.map((entry) => check(entry.healthy ? "ok" : "bad", `${entry.browser}: ${entry.healthy ? "registered, host starts" : entry.lines.filter((l) => l.includes("PROBLEM")).map((l) => l.trim()).join("; ")}`))
            : [check("warn", "Not registered in any browser's standard location (fine for a custom profile). To register: python3 install.py")]),
        );
        registrations.removeAttribute("aria-busy");
      },
      () => {
        registrations.replaceChildren(check("warn", "The registration check could not run."));
        registrations.removeAttribute("aria-busy");
      },
    );

    if (damaged.length) {
      root.append(
        h("div", { class: "card", id: "storage" },
          h("h3", {}, "Damaged files"),
          h("p", { role: "alert" }, "navllm could not read these files and has left them as they are:"),
          h("ul", { class: "items" }, damaged.map((f) =>
            h("li", { class: "item", "data-file": f.file },
              h("span", { class: "title" }, f.label),
              h("div", { class: "meta mono" }, f.path),
              h("div", { class: "meta" }, f.message),
              h("div", { class: "meta" }, `Repair ${f.repair}.`),
            ))),
          h("p", { class: "muted" }, "Repair keeps each file as a copy named …damaged-<time> next to it, then starts it afresh."),
          confirmButton("Repair", "Really repair?", async () => {
            const done = await call("storage.repair").catch(() => null);
            if (done) notify(`Repaired: ${done.repaired.map((m) => `${m.path} was kept as ${m.backup}`).join("; ")}.`);
            redraw();
          }, { "aria-label": "Repair damaged files" }),
        ),
      );
    }

    root.append(
      h("div", { class: "card" },
        h("div", { class: "row spread" }, h("h3", {}, "Connection"), h("span", { class: "badge ok", id: "host-state" }, "Connected")),
        h("dl", { class: "kv" },
          h("dt", {}, "Extension"), h("dd", {}, api.runtime.getManifest().version),
          h("dt", {}, "Host"), h("dd", {}, status.host),
          h("dt", {}, "Active sessions"), h("dd", {}, String(status.sessions)),
          h("dt", {}, "Session memory"), h("dd", { id: "session-memory", title: sessionMemoryDetail(status.sessionMemory) }, sessionMemory(status.sessionMemory)),
          h("dt", {}, "Settings"), h("dd", { class: "mono" }, status.configDir),
          h("dt", {}, "Data"), h("dd", { class: "mono" }, status.dataDir),
        ),
      ),
      localService,
      h("div", { class: "card" }, h("h3", {}, "Checks"), h("ul", { class: "checks", id: "checks" }, checks)),
      h("div", { class: "card" }, h("h3", {}, "Browser registration"), registrations),
      h("div", { class: "card" },
        h("h3", {}, "Options"),
        h("label", { class: "check" }, replace, "Use navllm for the Prompt API even where the browser has its own"),
        threadsField,
      ),
    );
  },
};
