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
  // The payers' names are long: on a phone they would take the whole width and leave the
  // bars none, so the axis labels get at most 40% of the chart (truncated, the full name
  // in the tooltip) and the amounts are shown in 万元 when the chart is narrow.
  function options() {
    var width = node.clientWidth || 320;
    var narrow = width < 560;
    return {
      title: { text: labels.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", confine: true },
      legend: { bottom: 0 },
      grid: { left: 10, right: 16, top: 40, bottom: 40, containLabel: true },
      xAxis: {
        type: "value",
        axisLabel: {
          hideOverlap: true,
          formatter: narrow ? function (v) { return v / 10000 + "万"; } : null
        }
      },
      yAxis: {
        type: "category",
        data: data.lines.map(function (l) { return l.name; }),
        axisLabel: { width: Math.round(width * 0.4), overflow: "truncate" }
      },
      series: [
        { name: labels.target, type: "bar", data: data.lines.map(function (l) { return Number(l.target); }) },
        { name: labels.raised, type: "bar", data: data.lines.map(function (l) { return Number(l.raised); }) }
      ]
    };
  }
  chart.setOption(options());
  window.addEventListener("resize", function () { chart.setOption(options()); chart.resize(); });
  document.documentElement.setAttribute("data-works-chart", "1");
})();
