/* The street-office board's charts (Apache ECharts, vendored under static/vendor/echarts).
   Data come from the page's json_script blocks: no inline script, so the CSP holds. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var dataNode = document.getElementById("board-chart-data");
  var labelNode = document.getElementById("board-chart-labels");
  if (!dataNode || !labelNode) return;
  var data = JSON.parse(dataNode.textContent);
  var labels = JSON.parse(labelNode.textContent);
  var charts = [];
  var latestNode = document.getElementById("chart-latest");
  var billed = data.latest.filter(function (r) { return r.rate_amount !== null; });
  if (latestNode && billed.length) {
    var latest = echarts.init(latestNode);
    latest.setOption({
      title: { text: labels.latest, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: billed.map(function (r) { return r.name + " (" + r.year + ")"; }),
               axisLabel: { interval: 0, rotate: billed.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: labels.amount, type: "bar", data: billed.map(function (r) { return r.rate_amount; }),
          markLine: { symbol: "none", data: [{ yAxis: data.target, name: labels.target }],
                      lineStyle: { color: "#b54708", type: "dashed" },
                      label: { position: "insideEndTop", formatter: "{c}%" } } },
        { name: labels.households, type: "bar", data: billed.map(function (r) { return r.rate_households; }) }
      ]
    });
    charts.push(latest);
  } else if (latestNode) {
    latestNode.textContent = labels.empty;
    latestNode.style.height = "auto";
  }
  var yearsNode = document.getElementById("chart-years");
  if (yearsNode && data.series.length && data.years.length) {
    var years = echarts.init(yearsNode);
    years.setOption({
      title: { text: labels.years, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: data.years.map(String) },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: data.series.map(function (s) {
        return { name: s.name, type: "line", connectNulls: false, data: s.data };
      })
    });
    charts.push(years);
  } else if (yearsNode) {
    yearsNode.style.display = "none";
  }
  var hotlineNode = document.getElementById("chart-hotline");
  var hotlineData = document.getElementById("board-hotline-data");
  if (hotlineNode && hotlineData) {
    var hotline = JSON.parse(hotlineData.textContent);
    var cases = echarts.init(hotlineNode);
    cases.setOption({
      title: { text: labels.hotline, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 10, right: 10, top: 40, bottom: 50, containLabel: true },
      xAxis: { type: "category", data: hotline.months },
      yAxis: { type: "value", minInterval: 1 },
      series: hotline.series.map(function (s) {
        return { name: s.name, type: "line", smooth: false, data: s.data };
      })
    });
    charts.push(cases);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute("data-board-charts", String(charts.length));
})();
