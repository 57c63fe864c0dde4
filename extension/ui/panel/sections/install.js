// Shown instead of any section when the host program cannot be started.
import { h } from "../../common/ui.js";
import { localServiceCard } from "./local-service.js";

const COMMAND = "python3 install.py";

export default {
  id: "install",
  title: "Finish installing navllm",
  async render({ root, error, retry }) {
    const copied = h("span", { class: "muted", role: "status", "aria-live": "polite" });
    root.append(
      h("div", { class: "card stack" },
        h("p", {}, "The browser extension is installed, but navllm's host program isn't reachable. The host runs the models, keeps your keys in the system keychain and decides which sites may use AI."),
        h("h3", {}, "Install the host"),
        h("p", {}, "In a terminal, from the folder you downloaded navllm into, run:"),
        h("div", { class: "command" },
          h("code", { id: "install-command" }, COMMAND),
          h("button", {
            type: "button",
            class: "small",
            "aria-label": "Copy the install command",
            onclick: async () => {
              await navigator.clipboard.writeText(COMMAND).then(() => (copied.textContent = "Copied."), () => (copied.textContent = "Select the command and copy it."));
            },
          }, "Copy"),
        ),
        copied,
        h("p", {}, "It registers the host with this browser. Then come back here and press Try again."),
        h("div", { class: "row" }, h("button", { type: "button", class: "primary", onclick: retry }, "Try again")),
        h("details", {}, h("summary", {}, "What the browser reported"), h("p", { class: "mono" }, error?.message ?? "")),
      ),
      await localServiceCard({ changed: retry }),
    );
  },
};
