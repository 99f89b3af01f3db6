/* govbot policy-owner console: small SVG charts drawn from JS (no library): weekly bars and lines.
 * Labels and titles go in as text nodes; colours are SVG presentation attributes. */
(function () {
  "use strict";
  var A = window.GovAdmin;
  var NS = "http://www.w3.org/2000/svg";
  var W = 640, H = 240, PAD = { left: 48, right: 16, top: 16, bottom: 34 };

  function svg(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function frame(figure, title, description) {
    A.clear(figure);
    figure.appendChild(A.el("figcaption", null, title));
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": description,
                            preserveAspectRatio: "xMidYMid meet", "class": "ga-svg" });
    root.appendChild(svg("title", {}, description));
    figure.appendChild(root);
    return root;
  }

  /** The axis top: four equal ticks of a round step (whole numbers for counts). */
  function niceMax(value, whole) {
    if (value <= 0) return 4;
    var rough = value / 4;
    var magnitude = Math.pow(10, Math.floor(Math.log(rough) / Math.LN10));
    var steps = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) {
      var step = steps[i] * magnitude;
      if (step >= rough && (!whole || step === Math.round(step))) return step * 4;
    }
    return 40 * magnitude;
  }

  function axes(root, labels, max, format) {
    var plotH = H - PAD.top - PAD.bottom;
    for (var i = 0; i <= 4; i++) {
      var y = PAD.top + plotH - plotH * i / 4;
      root.appendChild(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, stroke: "#e5e7eb",
                                     "stroke-width": 1 }));
      root.appendChild(svg("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end", "font-size": 11,
                                     fill: "#57606a" }, format(max * i / 4)));
    }
    var step = (W - PAD.left - PAD.right) / Math.max(labels.length, 1);
    var every = Math.ceil(labels.length / 10);  // at most ~10 labels on the axis
    labels.forEach(function (label, i) {
      if (i % every) return;
      root.appendChild(svg("text", { x: PAD.left + step * (i + 0.5), y: H - PAD.bottom + 16, "text-anchor": "middle",
                                     "font-size": 11, fill: "#57606a" }, label));
    });
    return step;
  }

  function legend(figure, series) {
    var list = A.el("ul", "ga-legend");
    series.forEach(function (s) {
      var li = A.el("li");
      var swatch = A.el("span", "ga-swatch");
      swatch.style.backgroundColor = s.color;
      li.appendChild(swatch);
      li.appendChild(document.createTextNode(s.name));
      list.appendChild(li);
    });
    figure.appendChild(list);
  }

  function empty(figure, root) {
    root.appendChild(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 14, fill: "#57606a" },
                         "暂无数据"));
  }

  /** Bars: one value per label (e.g. questions per week). */
  function bars(figure, spec) {
    var values = spec.values.map(function (v) { return Number(v) || 0; });
    var description = spec.title + "：" + spec.labels.map(function (l, i) { return l + " " + values[i]; }).join("，");
    var root = frame(figure, spec.title, description);
    var top = Math.max.apply(null, values.concat([0]));
    var max = niceMax(top, true);
    var format = spec.format || function (v) { return String(Math.round(v)); };
    var step = axes(root, spec.labels, max, format);
    var plotH = H - PAD.top - PAD.bottom;
    values.forEach(function (v, i) {
      var h = plotH * v / max;
      var bar = svg("rect", { x: PAD.left + step * i + step * 0.18, y: PAD.top + plotH - h, width: step * 0.64,
                              height: Math.max(h, 0), fill: spec.color || "#c8161d", rx: 2 });
      bar.appendChild(svg("title", {}, spec.labels[i] + "：" + format(v)));
      root.appendChild(bar);
      if (v) root.appendChild(svg("text", { x: PAD.left + step * (i + 0.5), y: PAD.top + plotH - h - 4,
                                            "text-anchor": "middle", "font-size": 11, fill: "#1f2328" }, format(v)));
    });
    if (!top) empty(figure, root);
  }

  /** Lines: several series over the same labels; null values leave a gap. Rates use max 1. */
  function lines(figure, spec) {
    var format = spec.format || A.percent;
    var description = spec.title + "：" + spec.series.map(function (s) {
      return s.name + " " + s.values.map(function (v, i) { return spec.labels[i] + " " + format(v); }).join("，");
    }).join("；");
    var root = frame(figure, spec.title, description);
    var all = [];
    spec.series.forEach(function (s) {
      s.values.forEach(function (v) { if (v !== null && v !== undefined) all.push(Number(v)); });
    });
    var max = spec.max || niceMax(Math.max.apply(null, all.concat([0])));
    var step = axes(root, spec.labels, max, format);
    var plotH = H - PAD.top - PAD.bottom;
    spec.series.forEach(function (s) {
      var path = "";
      var pen = false;
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) { pen = false; return; }
        var x = PAD.left + step * (i + 0.5);
        var y = PAD.top + plotH - plotH * Math.min(Number(v), max) / max;
        path += (pen ? " L" : " M") + x.toFixed(1) + " " + y.toFixed(1);
        pen = true;
        var dot = svg("circle", { cx: x, cy: y, r: 3.5, fill: s.color });
        dot.appendChild(svg("title", {}, s.name + " " + spec.labels[i] + "：" + format(v)));
        root.appendChild(dot);
      });
      if (path) root.insertBefore(svg("path", { d: path.trim(), fill: "none", stroke: s.color, "stroke-width": 2 }),
                                  root.querySelector("circle"));
    });
    if (!all.length) empty(figure, root);
    legend(figure, spec.series);
  }

  A.chart = { bars: bars, lines: lines };
})();
