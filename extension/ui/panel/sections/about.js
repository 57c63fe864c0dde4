// About: versions, licences, and what navllm stores where.
import { h } from "../../common/ui.js";

const api = globalThis.browser ?? globalThis.chrome;

// The host's runtime libraries (the extension itself bundles none).
const LIBRARIES = [
  ["pydantic", "MIT"], ["platformdirs", "MIT"], ["numpy", "BSD-3-Clause"], ["onnxruntime", "MIT"],
  ["onnx", "Apache-2.0"], ["gguf", "MIT"], ["tokenizers", "Apache-2.0"], ["jinja2", "BSD-3-Clause"],
  ["keyring", "MIT"], ["secretstorage", "BSD-3-Clause"], ["cryptography", "Apache-2.0 or BSD-3-Clause"],
  ["openai", "Apache-2.0"], ["anthropic", "MIT"], ["huggingface_hub", "Apache-2.0"],
];

export default {
  id: "about",
  title: "About",
  async render({ client, root }) {
    const status = await client.request("status");
    const place = (path) => h("span", { class: "mono" }, path);
    root.append(
      h("div", { class: "card" },
        h("h3", {}, "navllm"),
        h("p", {}, "AI for every web page, on your own terms: sites use models you choose, only after you allow them."),
        h("dl", { class: "kv" },
          h("dt", {}, "Extension"), h("dd", {}, api.runtime.getManifest().version),
          h("dt", {}, "Host"), h("dd", {}, `${status.host} (protocol ${status.protocol})`),
          h("dt", {}, "Licence"), h("dd", {}, "Apache-2.0"),
        ),
      ),
      h("div", { class: "card", id: "privacy" },
        h("h3", {}, "Privacy: what is stored where"),
        h("ul", {},
          h("li", {}, "Your settings and provider list: ", place(`${status.configDir}/settings.json`), "."),
          h("li", {}, "Site answers, limits and the usage log (time, site, provider, model, token counts): in a database under ", place(status.dataDir), ". Prompt and reply text only if you turn history on, deleted after the retention period."),
          h("li", {}, "Models: under ", place(`${status.dataDir}/models`), "."),
          h("li", {}, "API keys: in the system keychain, or in navllm's encrypted vault when there is none. They are never shown again, never sent to web pages, and never written to logs."),
          h("li", {}, "Local models run on this device: nothing leaves it. Text goes to an online service only from a site you allowed to use that service."),
          h("li", {}, "navllm sends nothing to its authors: no telemetry, no remote code."),
        ),
      ),
      h("div", { class: "card" },
        h("h3", {}, "Open-source libraries"),
        h("p", { class: "muted" }, "The host program is built on these; the extension bundles none."),
        h("div", { class: "table-wrap" }, h("table", { id: "licences" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Library"), h("th", { scope: "col" }, "Licence"))),
          h("tbody", {}, LIBRARIES.map(([name, licence]) => h("tr", {}, h("td", {}, name), h("td", {}, licence)))),
        )),
      ),
    );
  },
};
