// Compare page: the "only differences" toggle, and equity and drawdown curves of every trial on one chart each.
(function () {
  "use strict";
  const table = document.getElementById("compare-table");
  const toggle = document.getElementById("only-differences");
  if (table && toggle) {
    const apply = () => table.classList.toggle("only-differences", toggle.checked);
    toggle.addEventListener("change", apply);
    apply();
  }
  const charts = window.mlCharts;
  const curves = charts && charts.json("compare-curves");
  if (!curves || !curves.names.length) return;
  const series = (block) => curves.names.map((name, i) => ({ label: "trial " + name, values: block[i] }));
  charts.timeSeries(document.getElementById("chart-compare-equity"), { time: curves.time, series: series(curves.equity), yFormat: charts.fmt.times });
  charts.timeSeries(document.getElementById("chart-compare-drawdown"), { time: curves.time, series: series(curves.drawdown), yFormat: charts.fmt.percent });
})();
