/* The policy owners' console: small SVG charts drawn from JS (no library): weekly bars and lines.
 * Labels and titles go in as text nodes; colours are SVG presentation attributes. */

import { clear, el } from "../shared/dom.js";
import { percent } from "../shared/format.js";

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 34 };
const PLOT_H = H - PAD.top - PAD.bottom;

function svg(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, String(v)));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(figure, title, description) {
  clear(figure);
  figure.appendChild(el("figcaption", null, title));
  const root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": description,
                            preserveAspectRatio: "xMidYMid meet", class: "ga-svg" });
  root.appendChild(svg("title", {}, description));
  figure.appendChild(root);
  return root;
}

/** The axis top: four equal ticks of a round step (whole numbers for counts). */
function niceMax(value, whole) {
  if (value <= 0) return 4;
  const rough = value / 4;
  const magnitude = Math.pow(10, Math.floor(Math.log(rough) / Math.LN10));
  for (const s of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const step = s * magnitude;
    if (step >= rough && (!whole || step === Math.round(step))) return step * 4;
  }
  return 40 * magnitude;
}

function axes(root, labels, max, format) {
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + PLOT_H - PLOT_H * i / 4;
    root.appendChild(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, stroke: "#e5e7eb",
                                   "stroke-width": 1 }));
    root.appendChild(svg("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end", "font-size": 11,
                                   fill: "#57606a" }, format(max * i / 4)));
  }
  const step = (W - PAD.left - PAD.right) / Math.max(labels.length, 1);
  const every = Math.ceil(labels.length / 10);  // at most ~10 labels on the axis
  labels.forEach((label, i) => {
    if (i % every) return;
    root.appendChild(svg("text", { x: PAD.left + step * (i + 0.5), y: H - PAD.bottom + 16, "text-anchor": "middle",
                                   "font-size": 11, fill: "#57606a" }, label));
  });
  return step;
}

function legend(figure, series) {
  const list = el("ul", "ga-legend");
  series.forEach((s) => {
    const li = el("li");
    const swatch = el("span", "ga-swatch");
    swatch.style.backgroundColor = s.color;
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(s.name));
    list.appendChild(li);
  });
  figure.appendChild(list);
}

function empty(root) {
  root.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 14, fill: "#57606a" },
                       "暂无数据"));
}

/** Bars: one value per label (e.g. questions per week). */
export function bars(figure, spec) {
  const values = spec.values.map((v) => Number(v) || 0);
  const description = spec.title + "：" + spec.labels.map((l, i) => l + " " + values[i]).join("，");
  const root = frame(figure, spec.title, description);
  const top = Math.max(...values, 0);
  const max = niceMax(top, true);
  const format = spec.format || ((v) => String(Math.round(v)));
  const step = axes(root, spec.labels, max, format);
  values.forEach((v, i) => {
    const h = PLOT_H * v / max;
    const bar = svg("rect", { x: PAD.left + step * i + step * 0.18, y: PAD.top + PLOT_H - h, width: step * 0.64,
                              height: Math.max(h, 0), fill: spec.color || "#c8161d", rx: 2 });
    bar.appendChild(svg("title", {}, spec.labels[i] + "：" + format(v)));
    root.appendChild(bar);
    if (v) root.appendChild(svg("text", { x: PAD.left + step * (i + 0.5), y: PAD.top + PLOT_H - h - 4,
                                          "text-anchor": "middle", "font-size": 11, fill: "#1f2328" }, format(v)));
  });
  if (!top) empty(root);
}

/** Lines: several series over the same labels; null values leave a gap. Rates use max 1. */
export function lines(figure, spec) {
  const format = spec.format || percent;
  const description = spec.title + "：" + spec.series.map((s) =>
    s.name + " " + s.values.map((v, i) => spec.labels[i] + " " + format(v)).join("，")).join("；");
  const root = frame(figure, spec.title, description);
  const known = [];
  spec.series.forEach((s) => {
    s.values.forEach((v) => { if (v !== null && v !== undefined) known.push(Number(v)); });
  });
  const max = spec.max || niceMax(Math.max(...known, 0));
  const step = axes(root, spec.labels, max, format);
  spec.series.forEach((s) => {
    let path = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      const x = PAD.left + step * (i + 0.5);
      const y = PAD.top + PLOT_H - PLOT_H * Math.min(Number(v), max) / max;
      path += (pen ? " L" : " M") + x.toFixed(1) + " " + y.toFixed(1);
      pen = true;
      const dot = svg("circle", { cx: x, cy: y, r: 3.5, fill: s.color });
      dot.appendChild(svg("title", {}, s.name + " " + spec.labels[i] + "：" + format(v)));
      root.appendChild(dot);
    });
    if (path) root.insertBefore(svg("path", { d: path.trim(), fill: "none", stroke: s.color, "stroke-width": 2 }),
                                root.querySelector("circle"));
  });
  if (!known.length) empty(root);
  legend(figure, spec.series);
}
