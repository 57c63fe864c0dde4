// Small DOM and formatting helpers shared by the side panel and the popup. Everything is
// built with createElement and textContent: no HTML strings, so host data can never inject markup.

/** h("button", {class: "primary", onclick: fn}, "Save") — attributes, properties and children in one call;
 * `style` is an object of CSSOM properties. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "style") Object.assign(el.style, value); // CSSOM, not a style attribute: the CSP forbids those
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

let uid = 0;
/** A unique id for label/control pairs. */
export const newId = (prefix = "f") => `${prefix}-${++uid}`;

/** A labelled form control: returns [wrapper, control]. */
export function field(label, control, hint) {
  control.id ||= newId();
  const hintEl = hint ? h("small", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return [h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl), control];
}

const numberFormat = new Intl.NumberFormat();
export const fmtNumber = (n) => numberFormat.format(n ?? 0);

/** "1 request", "3 requests". */
export const plural = (n, word) => `${fmtNumber(n)} ${word}${n === 1 ? "" : "s"}`;

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${n.toFixed(n < 10 && i ? 1 : 0)} ${units[i]}`;
}

/** Seconds since the epoch, milliseconds, or an ISO string, as a local date. */
export function toDate(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return new Date(value < 1e12 ? value * 1000 : value);
  return new Date(value);
}

export const fmtDate = (value) => toDate(value)?.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" }) ?? "—";
export const fmtDateTime = (value) => toDate(value)?.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) ?? "—";

/** A button that asks "are you sure?" by changing its own label once, then acts on the second press. */
export function confirmButton(label, confirmLabel, action, attrs = {}) {
  let armed = false;
  let timer = 0;
  const button = h("button", {
    type: "button",
    class: "danger",
    ...attrs,
    onclick: async () => {
      if (!armed) {
        armed = true;
        button.textContent = confirmLabel;
        if (name) button.setAttribute("aria-label", `${confirmLabel} ${name}`);
        button.classList.add("armed");
        timer = setTimeout(reset, 4000);
        return;
      }
      reset();
      await action();
    },
  }, label);
  const name = attrs["aria-label"];
  const reset = () => {
    clearTimeout(timer);
    armed = false;
    button.textContent = label;
    if (name) button.setAttribute("aria-label", name);
    button.classList.remove("armed");
  };
  return button;
}

/** Offer `text` as a file download (Blob URL: no remote request, allowed by the CSP). */
export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
