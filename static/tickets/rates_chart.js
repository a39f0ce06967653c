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
/* The trend: stacked monthly counts by category and by building, with the compound's
   transition milestones as vertical lines. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var dataNode = document.getElementById("trend-data");
  if (!dataNode) return;
  var trend = JSON.parse(dataNode.textContent);
  var markLine = {
    symbol: "none",
    label: { formatter: "{b}" },
    data: trend.markers.map(function (m) { return { xAxis: m.month, name: m.label }; })
  };
  function draw(id, groups) {
    var node = document.getElementById(id);
    if (!node) return;
    var names = Object.keys(groups);
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { bottom: 0, type: "scroll" },
      grid: { left: 10, right: 10, top: 30, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: trend.months },
      yAxis: { type: "value", minInterval: 1 },
      series: names.map(function (name, i) {
        return { name: name, type: "bar", stack: "all", data: groups[name],
                 markLine: i === 0 ? markLine : undefined };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  draw("trend-category", trend.by_category);
  draw("trend-building", trend.by_building);
})();
