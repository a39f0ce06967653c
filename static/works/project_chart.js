/* A works project's funding chart: target and raised per funding line (Apache ECharts,
   vendored under static/vendor/echarts). Data come from the page's json_script blocks:
   no inline script, so the CSP holds. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var node = document.getElementById("works-chart");
  var dataNode = document.getElementById("works-chart-data");
  var labelNode = document.getElementById("works-chart-labels");
  if (!node || !dataNode || !labelNode) return;
  var data = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(labelNode.textContent);
  var chart = echarts.init(node);
  chart.setOption({
    title: { text: labels.title, textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 10, right: 10, top: 40, bottom: 40, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: data.lines.map(function (l) { return l.name; }) },
    series: [
      { name: labels.target, type: "bar", data: data.lines.map(function (l) { return Number(l.target); }) },
      { name: labels.raised, type: "bar", data: data.lines.map(function (l) { return Number(l.raised); }) }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  document.documentElement.setAttribute("data-works-chart", "1");
})();
