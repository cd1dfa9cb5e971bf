// Series page: the whole history (downsampled on the server) with time and value axes; log scale optional.
(function () {
  "use strict";
  const charts = window.mlCharts;
  const series = charts.json("series-data");
  const holder = document.getElementById("chart-series");
  if (!series || !holder) return;
  const log = document.getElementById("series-log");
  const chart = charts.timeSeries(holder, {
    time: series.time, yFormat: charts.fmt.number, log: () => log && log.checked, height: 320,
    series: [{ label: document.querySelector("#series-chart h2").firstChild.textContent.trim(), values: series.values }],
  });
  if (log) log.addEventListener("change", () => chart.draw());
})();
