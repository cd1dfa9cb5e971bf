// Study page: follows GET /api/studies/<id>/ while the study runs (every 2 s, slower when the tab is hidden) and
// draws the optimisation history with the best so far, Optuna's parameter importances and parallel coordinates.
(function () {
  "use strict";
  const page = document.getElementById("study-page");
  if (!page) return;
  const charts = window.mlCharts;
  const figures = charts.json("figures") || {};
  const metric = page.dataset.metric;
  const minimise = page.dataset.direction === "minimize";
  const FINISHED = charts.json("vocabulary").finished_statuses;
  const show = (v) => charts.fmt.figure(figures, metric, v);
  const el = (id) => document.getElementById(id);
  // Parameters as name=value with 4 significant digits: Optuna's floats are long.
  const short = (params) => Object.entries(params)
    .map(([k, v]) => k + "=" + (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v)).join(", ");
  let latest = null;
  let history = null;
  let importancesFor = -1;

  function renderTable(s) {
    const body = document.querySelector("#trials tbody");
    body.replaceChildren(...s.trials.map((t) => {
      const row = document.createElement("tr");
      const cells = [
        ["num", null], ["", t.model], ["", null], ["", null], ["num", show(t.value)],
      ];
      for (const [cls, text] of cells) {
        const td = document.createElement("td");
        if (cls) td.className = cls;
        if (text !== null) td.textContent = text;
        row.appendChild(td);
      }
      const link = document.createElement("a");
      link.href = "/trials/" + t.id + "/";
      link.textContent = t.id;
      row.cells[0].appendChild(link);
      const code = document.createElement("code");
      code.textContent = short(t.params);
      row.cells[2].appendChild(code);
      const badge = document.createElement("span");
      badge.className = "status status-" + t.status;
      badge.textContent = t.status;
      row.cells[3].appendChild(badge);
      return row;
    }));
  }

  // The study's probability of backtest overfitting, once the worker has computed it (trials.overfitting).
  function renderPbo(s) {
    const holder = el("pbo");
    if (!holder) return;
    el("pbo-value").textContent = charts.fmt.figure(figures, "pbo", s.pbo);
    el("pbo-detail").textContent = s.pbo_computed_at
      ? "over " + s.pbo_evaluations + " evaluations' bar returns, computed " + s.pbo_computed_at.slice(0, 16).replace("T", " ") + " UTC"
      : "computed once " + holder.dataset.min + " evaluations have finished";
  }

  function scored(s) {
    return s.trials.filter((t) => t.value !== null && t.value !== undefined);
  }

  function drawHistory(s) {
    const done = scored(s);
    el("history-empty").hidden = done.length > 0;
    if (!done.length) return;
    const x = done.map((_, i) => i + 1);
    const best = [];
    for (const t of done) {
      const previous = best.length ? best[best.length - 1] : null;
      best.push(previous === null ? t.value : (minimise ? Math.min(previous, t.value) : Math.max(previous, t.value)));
    }
    const data = { x, values: done.map((t) => t.value), best };
    if (history) { history.data = data; history.draw(); return; }
    history = { data };
    const chart = charts.xy(el("chart-history"), {
      get x() { return history.data.x; },
      xLabel: "evaluation", xFormat: (v) => (Number.isInteger(v) ? String(v) : ""), yFormat: show,
      series: [
        { label: "evaluation", get values() { return history.data.values; }, points: { show: true, size: 6 }, paths: () => null },
        { label: "best so far", get values() { return history.data.best; }, colorIndex: 2, width: 2 },
      ],
    });
    history.draw = chart.draw;
  }

  function drawImportances(s) {
    const done = scored(s).length;
    if (done < 2 || done === importancesFor) return;
    importancesFor = done;
    fetch(page.dataset.importances, { credentials: "same-origin" }).then((r) => r.json()).then((body) => {
      const params = body.params || [];
      el("importances-empty").hidden = params.length > 0;
      if (!params.length) return;
      charts.bars(el("chart-importances"), {
        labels: params.map((p) => p.name), xLabel: "parameter",
        yFormat: () => charts.fmt.percent,
        series: () => [{ label: "importance", values: params.map((p) => p.importance) }],
      });
    });
  }

  function drawParallel(s) {
    const done = scored(s);
    el("parallel-empty").hidden = done.length > 0;
    const holder = el("chart-parallel");
    if (!done.length) return;
    const names = [...new Set(done.flatMap((t) => Object.keys(t.params)))].sort();
    const models = [...new Set(done.map((t) => t.model))];
    const axes = (models.length > 1 ? [{ name: "model", get: (t) => t.model, categories: models }] : [])
      .concat(names.map((name) => ({ name, get: (t) => t.params[name] })))
      .concat([{ name: (figures[metric] || {}).label || metric, get: (t) => t.value, metric: true }]);
    for (const axis of axes) {
      const values = done.map(axis.get).filter((v) => v !== undefined && v !== null);
      if (!axis.categories && values.some((v) => typeof v !== "number")) axis.categories = [...new Set(values.map(String))];
      if (!axis.categories) {
        axis.min = Math.min(...values); axis.max = Math.max(...values);
        axis.log = axis.min > 0 && axis.max / axis.min > 100;
      }
      axis.position = (v) => {
        if (v === undefined || v === null) return null;
        if (axis.categories) return axis.categories.length < 2 ? 0.5 : axis.categories.indexOf(String(v)) / (axis.categories.length - 1);
        if (axis.max === axis.min) return 0.5;
        return axis.log ? (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min)) : (v - axis.min) / (axis.max - axis.min);
      };
    }
    const width = Math.max(300, holder.clientWidth), height = 300, top = 30, bottom = 40, left = 40, right = 40;
    const step = axes.length > 1 ? (width - left - right) / (axes.length - 1) : 0;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", "100%");
    const make = (tag, attrs, text) => {
      const node = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    const y = (p) => top + (1 - p) * (height - top - bottom);
    const ranked = done.map((t) => t.value).sort((a, b) => a - b);
    for (const t of done) {
      const rank = ranked.length > 1 ? ranked.indexOf(t.value) / (ranked.length - 1) : 1;
      const goodness = minimise ? 1 - rank : rank;
      const points = axes.map((axis, i) => [left + i * step, axis.position(axis.get(t))]).filter(([, p]) => p !== null);
      make("polyline", { class: "pc-line", points: points.map(([px, p]) => px + "," + y(p)).join(" "), "stroke-opacity": (0.15 + 0.85 * goodness).toFixed(2) });
    }
    axes.forEach((axis, i) => {
      const px = left + i * step;
      make("line", { class: "pc-axis", x1: px, x2: px, y1: top, y2: height - bottom });
      make("text", { class: "pc-label", x: px, y: height - bottom + 18, "text-anchor": "middle" }, axis.name);
      const low = axis.categories ? axis.categories[0] : show0(axis, axis.min);
      const high = axis.categories ? axis.categories[axis.categories.length - 1] : show0(axis, axis.max);
      make("text", { class: "pc-tick", x: px, y: top - 8, "text-anchor": "middle" }, high);
      make("text", { class: "pc-tick", x: px, y: height - bottom + 32, "text-anchor": "middle" }, low);
    });
    holder.replaceChildren(svg);
    holder.dataset.drawn = String(done.length);
  }
  function show0(axis, v) {
    return axis.metric ? show(v) : (Number.isInteger(v) ? String(v) : Number(v).toPrecision(3));
  }

  function render(s) {
    latest = s;
    const status = el("status");
    status.textContent = s.status;
    status.className = "status status-" + s.status;
    const finished = s.trials.filter((t) => FINISHED.includes(t.status)).length;
    el("progress").textContent = finished + "/" + s.budget;
    el("best-value").textContent = s.best ? show(s.best.value) : "—";
    el("best-detail").textContent = s.best ? "trial " + s.best.trial + " · " + s.best.model + " " + short(s.best.params) : "";
    renderPbo(s);
    renderTable(s);
    drawHistory(s);
    drawParallel(s);
    drawImportances(s);
    if (s.status !== "running") { const cancel = el("cancel"); if (cancel) cancel.remove(); }
    return s.status === "running";
  }

  function poll() {
    fetch(page.dataset.api, { credentials: "same-origin" }).then((r) => r.json()).then((s) => {
      if (render(s)) setTimeout(poll, document.hidden ? 10000 : 2000);
    });
  }
  const cancel = el("cancel");
  if (cancel) cancel.addEventListener("click", () => {
    fetch(cancel.dataset.url, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": document.querySelector("[name=csrfmiddlewaretoken]").value } }).then(() => { cancel.remove(); poll(); });
  });
  window.addEventListener("themechange", () => latest && drawParallel(latest));
  poll();
})();
