// Trial page charts: equity against buy-and-hold (and the benchmark), drawdown, rolling Sharpe, per-fold bars,
// calibration (direction) or predicted against realised volatility. Data comes from json_script blocks.
(function () {
  "use strict";
  const charts = window.mlCharts;
  const sheet = charts.json("tear-sheet");
  const folds = charts.json("folds-chart") || [];
  const figures = charts.json("figures") || {};
  const el = (id) => document.getElementById(id);
  const pct = charts.fmt.percent;

  if (sheet && sheet.equity) {
    const names = [["strategy", "Strategy"], ["buy_hold", "Buy and hold"], ["benchmark", "Benchmark" + (sheet.benchmark ? " (" + sheet.benchmark + ")" : "")]];
    const present = (block) => names.filter(([key]) => block[key]).map(([key, label]) => ({ label, values: block[key] }));
    const log = el("equity-log");
    const equity = charts.timeSeries(el("chart-equity"), { time: sheet.time, series: present(sheet.equity), yFormat: charts.fmt.times, log: () => log && log.checked });
    if (log) log.addEventListener("change", () => equity.draw());
    charts.timeSeries(el("chart-drawdown"), { time: sheet.time, series: present(sheet.drawdown), yFormat: pct });
    charts.timeSeries(el("chart-rolling-sharpe"), { time: sheet.time, series: present(sheet.rolling_sharpe), yFormat: charts.fmt.ratio });
  }
  if (sheet && sheet.calibration && sheet.calibration.length) {
    const rows = sheet.calibration;
    const x = rows.map((r) => r.predicted);
    charts.xy(el("chart-calibration"), {
      x, xLabel: "predicted P(up)", xFormat: pct, yFormat: pct,
      series: [
        { label: "realised share up", values: rows.map((r) => r.realised), points: { show: true, size: 7 } },
        { label: "perfectly calibrated", values: x, dash: [4, 4], colorIndex: 1 },
      ],
    });
  }
  if (sheet && sheet.volatility) {
    charts.timeSeries(el("chart-volatility"), {
      time: sheet.time, yFormat: pct,
      series: [{ label: "realised", values: sheet.volatility.realised, colorIndex: 1 }, { label: "predicted", values: sheet.volatility.predicted, colorIndex: 0 }],
    });
  }
  const picker = el("fold-metric");
  if (folds.length && picker) {
    const chart = charts.bars(el("chart-folds"), {
      labels: folds.map((f) => "fold " + f.fold + " · " + f.test.slice(0, 7)),
      xLabel: "fold",
      yFormat: () => (v) => charts.fmt.figure(figures, picker.value, v),
      series: () => [{ label: (figures[picker.value] || {}).label || picker.value, values: folds.map((f) => f.metrics[picker.value] ?? null) }],
    });
    picker.addEventListener("change", () => chart.draw());
  }
})();
