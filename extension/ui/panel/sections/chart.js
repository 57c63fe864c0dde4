// A stacked bar chart drawn as SVG (no library, no remote code). One bar per day, one colour
// per series; the totals are also given as text for screen readers.
import { fmtNumber, h } from "../../common/ui.js";

const NS = "http://www.w3.org/2000/svg";
// Distinguishable in light and dark themes and for common colour-vision deficiencies.
export const PALETTE = ["#4f7cff", "#f59e0b", "#10b981", "#e4577b", "#8b5cf6", "#06b6d4", "#a3a3a3"];

const svg = (tag, attrs = {}, ...children) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

/** A rounded axis maximum: 1, 2 or 5 times a power of ten. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= value);
}

/**
 * days: ["2026-11-20", …]; series: [{name, values: [number per day]}] (colours in order).
 * Returns a figure with the SVG and its legend.
 */
export function stackedBars(days, series, { title, unit }) {
  const width = 340;
  const height = 170;
  const left = 34;
  const bottom = 18;
  const top = 6;
  const plotH = height - bottom - top;
  const totals = days.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = niceMax(Math.max(0, ...totals));
  const step = (width - left) / Math.max(days.length, 1);
  const barW = Math.max(1, step * 0.72);

  const grid = [0, 0.5, 1].filter((f) => Number.isInteger(max * f)).map((f) => {
    const y = top + plotH * (1 - f);
    return svg("g", {},
      svg("line", { class: "axis", x1: left, x2: width, y1: y, y2: y }),
      svg("text", { x: left - 4, y: y + 3, "text-anchor": "end" }, compact(max * f)));
  });
  const bars = days.map((day, i) => {
    let y = top + plotH;
    const x = left + i * step + (step - barW) / 2;
    const parts = series.map((s, k) => {
      const v = s.values[i];
      const barH = (v / max) * plotH;
      y -= barH;
      return v ? svg("rect", { x, y, width: barW, height: Math.max(barH, 0.5), fill: PALETTE[k % PALETTE.length] }, svg("title", {}, `${day} · ${s.name}: ${fmtNumber(v)} ${unit}`)) : null;
    }).filter(Boolean);
    return svg("g", {}, ...parts);
  });
  // Day labels: first, middle and last, so they never overlap at panel width.
  const marks = [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])].filter((i) => i >= 0);
  const labels = marks.map((i) => svg("text", { x: left + i * step + step / 2, y: height - 4, "text-anchor": "middle" }, shortDay(days[i])));

  const total = totals.reduce((a, b) => a + b, 0);
  const summary = `${title}: ${fmtNumber(total)} ${unit} over ${days.length} days` +
    (series.length ? `; ${series.map((s) => `${s.name} ${fmtNumber(s.values.reduce((a, b) => a + b, 0))}`).join(", ")}` : "");
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": summary }, ...grid, ...bars, ...labels);
  return h("figure", { class: "chart" },
    chart,
    h("ul", { class: "legend", "aria-hidden": "true" }, series.map((s, k) =>
      h("li", {}, h("span", { class: "swatch", style: { background: PALETTE[k % PALETTE.length] } }), s.name))),
  );
}

const compact = (n) => new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(n);
const shortDay = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
