/* The rates page's chart (Apache ECharts, vendored under static/vendor/echarts): monthly
   received counts as bars, the three rates as lines. Data from json_script: no inline
   script, so the CSP holds. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var node = document.getElementById("rates-chart");
  var dataNode = document.getElementById("rates-chart-data");
  var labelNode = document.getElementById("rates-chart-labels");
  if (!node || !dataNode || !labelNode) return;
  var data = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(labelNode.textContent);
  function numbers(values) { return values.map(function (v) { return v === null ? null : Number(v); }); }
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 10, right: 10, top: 20, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
    series: [
      { name: labels.received, type: "bar", data: data.received },
      { name: labels.response, type: "line", yAxisIndex: 1, connectNulls: false, data: numbers(data.response) },
      { name: labels.resolution, type: "line", yAxisIndex: 1, data: numbers(data.resolution) },
      { name: labels.satisfaction, type: "line", yAxisIndex: 1, data: numbers(data.satisfaction) }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
