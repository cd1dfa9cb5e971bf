// Charts with the vendored uPlot: colours come from the page's CSS variables, and every chart is redrawn when the
// theme changes or the window is resized. A drawn chart's element carries data-drawn="<number of points>".
window.mlCharts = (function () {
  "use strict";
  const mounted = [];
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const palette = (i) => css("--series-" + ((i % 10) + 1));

  const fmt = {
    percent: (v) => (v == null ? "—" : (v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0) + " %"),
    ratio: (v) => (v == null ? "—" : Number(v).toFixed(2)),
    number: (v) => (v == null ? "—" : Number(v).toPrecision(4).replace(/\.?0+(e|$)/, "$1")),
    count: (v) => (v == null ? "—" : Math.round(v).toLocaleString()),
    times: (v) => (v == null ? "—" : "×" + Number(v).toFixed(2)),
  };
  // A metric's value as the tables show it, from the figures metadata (trials/figures.py) passed by the page.
  fmt.figure = (figures, key, v) => {
    if (v == null || Number.isNaN(v)) return "—";
    const kind = (figures[key] || {}).kind || "number";
    if (kind === "percent") return (v * 100).toFixed(1) + " %";
    if (kind === "ratio") return Number(v).toFixed(2);
    if (kind === "count") return Math.round(v).toLocaleString();
    return fmt.number(v);
  };

  // Tick labels in the chart's own format, with more digits when that format would print two ticks alike.
  function ticks(values, format) {
    const labels = values.map(format);
    if (new Set(labels).size === labels.length) return labels;
    const percent = labels.some((label) => String(label).endsWith("%"));
    for (let digits = 3; digits <= 7; digits++) {
      const finer = values.map((v) => (v == null ? "" : percent ? Number((v * 100).toPrecision(digits)) + " %" : String(Number(v.toPrecision(digits)))));
      if (new Set(finer).size === finer.length) return finer;
    }
    return labels;
  }

  function axes(xFormat, yFormat) {
    const stroke = css("--muted");
    const grid = { stroke: css("--line"), width: 1 };
    const y = { stroke, grid, ticks: grid, size: 64, values: (u, values) => ticks(values, yFormat) };
    const x = { stroke, grid, ticks: grid };
    if (xFormat) x.values = (u, values) => values.map(xFormat);
    return [x, y];
  }

  function mount(el, build) {
    const previous = mounted.findIndex((chart) => chart.el === el);
    if (previous >= 0) {  // a chart drawn again into the same place replaces the old one
      if (mounted[previous].plot) mounted[previous].plot.destroy();
      mounted.splice(previous, 1);
    }
    const chart = { el, build, plot: null };
    chart.draw = function () {
      if (chart.plot) chart.plot.destroy();
      const { opts, data } = build();
      opts.width = Math.max(220, el.clientWidth);
      opts.height = opts.height || 260;
      chart.plot = new uPlot(opts, data, el);
      el.dataset.drawn = String(data[0].length);
    };
    mounted.push(chart);
    chart.draw();
    return chart;
  }

  window.addEventListener("themechange", () => mounted.forEach((chart) => chart.plot && chart.draw()));
  let resizing = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => mounted.forEach((c) => c.plot && c.plot.setSize({ width: Math.max(220, c.el.clientWidth), height: c.plot.height })), 150);
  });

  function seriesOptions(series, yFormat) {
    return series.map((s, i) => ({
      label: s.label,
      stroke: s.color || palette(s.colorIndex ?? i),
      width: s.width || 1.5,
      dash: s.dash,
      points: s.points || { show: false },
      paths: s.paths,
      fill: s.fill,
      value: (u, v) => yFormat(v),
    }));
  }

  // Lines over time: {time: [unix seconds], series: [{label, values}], yFormat, log, height}.
  function timeSeries(el, spec) {
    const yFormat = spec.yFormat || fmt.number;
    return mount(el, () => ({
      opts: {
        height: spec.height,
        scales: { x: { time: true }, y: (typeof spec.log === "function" ? spec.log() : spec.log) ? { distr: 3 } : {} },
        axes: axes(null, yFormat),
        series: [{ label: "date" }, ...seriesOptions(spec.series, yFormat)],
        cursor: { drag: { x: true, y: false } },
      },
      data: [spec.time, ...spec.series.map((s) => s.values)],
    }));
  }

  // Bars at x = 1..n: {labels: ["fold 1", ...], series: [{label, values}], yFormat}.
  function bars(el, spec) {
    return mount(el, () => {
      const yFormat = spec.yFormat();
      const series = spec.series().map((s, i) => ({ ...s, paths: uPlot.paths.bars({ size: [0.6, 80] }), fill: palette(i), colorIndex: i }));
      const x = spec.labels.map((_, i) => i + 1);
      return {
        opts: {
          height: spec.height,
          // Bars start at zero, so their lengths compare honestly.
          scales: { x: { time: false, range: [0.4, x.length + 0.6] }, y: { range: (u, min, max) => uPlot.rangeNum(Math.min(0, min), Math.max(0, max), 0.1, true) } },
          axes: axes((v) => (Number.isInteger(v) && spec.labels[v - 1] ? spec.labels[v - 1] : ""), yFormat),
          series: [{ label: spec.xLabel || "" , value: (u, v) => spec.labels[v - 1] || "" }, ...seriesOptions(series, yFormat)],
          cursor: { drag: { x: false, y: false } },
        },
        data: [x, ...series.map((s) => s.values)],
      };
    });
  }

  // Numeric x (not time), e.g. predicted against realised: {x: [...], series: [...], xFormat, yFormat, range}.
  function xy(el, spec) {
    const yFormat = spec.yFormat || fmt.number;
    return mount(el, () => ({
      opts: {
        height: spec.height,
        scales: { x: { time: false, range: spec.xRange }, y: { range: spec.yRange } },
        axes: axes(spec.xFormat || fmt.number, yFormat),
        series: [{ label: spec.xLabel || "x", value: (u, v) => (spec.xFormat || fmt.number)(v) }, ...seriesOptions(spec.series, yFormat)],
        cursor: { drag: { x: false, y: false } },
      },
      data: [spec.x, ...spec.series.map((s) => s.values)],
    }));
  }

  function json(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  return { timeSeries, bars, xy, fmt, palette, json };
})();
