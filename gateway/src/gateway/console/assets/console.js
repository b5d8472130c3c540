// Charts of the console pages, drawn with Apache ECharts from the page's own data (the tables
// beside them hold the same numbers and work without this script).
(function () {
  "use strict";
  var holder = document.getElementById("chart-data");
  if (!holder || typeof echarts === "undefined") { return; }
  var data = JSON.parse(holder.textContent);
  var drawn = [];

  function draw(element, option) {
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    element.setAttribute("data-points", String(countPoints(option)));
    drawn.push(chart);
  }

  function countPoints(option) {
    return option.series.reduce(function (sum, s) { return sum + s.data.length; }, 0);
  }

  // Overview: a sparkline per indicator.
  if (data.rows) {
    document.querySelectorAll(".spark").forEach(function (element) {
      var row = data.rows[Number(element.getAttribute("data-row"))];
      draw(element, {
        animation: false, grid: { left: 2, right: 2, top: 2, bottom: 2 },
        xAxis: { type: "category", show: false, data: data.months },
        yAxis: { type: "value", show: false },
        series: [{ type: "line", data: row.trend, showSymbol: false, lineStyle: { width: 2 } }]
      });
    });
  }

  // Explorer: the values over time (one line per breakdown value), and across areas.
  if (data.over_time) {
    var months = [], lines = {};
    data.over_time.forEach(function (v) {
      if (months.indexOf(v.period) < 0) { months.push(v.period); }
      var key = data.by ? v.indicator + " · " + v.dimensions[data.by] : v.indicator;
      (lines[key] = lines[key] || {})[v.period] = v.value;
    });
    draw(document.getElementById("chart-time"), {
      animation: false, tooltip: { trigger: "axis" }, legend: { type: "scroll" },
      xAxis: { type: "category", data: months }, yAxis: { type: "value", name: data.unit },
      series: Object.keys(lines).map(function (key) {
        return { name: key, type: "line", data: months.map(function (m) {
          return lines[key][m] === undefined ? null : lines[key][m]; }) };
      })
    });
    if (data.across && data.across.length) {
      draw(document.getElementById("chart-areas"), {
        animation: false, tooltip: {}, grid: { left: 160 },
        xAxis: { type: "value", name: data.unit },
        yAxis: { type: "category", data: data.across.map(function (v) { return v.region_name; }) },
        series: [{ type: "bar", data: data.across.map(function (v) { return v.value; }) }]
      });
    }
  }
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
}());
