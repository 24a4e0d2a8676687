// Report charts (ECharts) from the data the page embeds; the tables carry the same figures without JS.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.echarts) return;
  var trend = JSON.parse(document.getElementById("trend-data").textContent);
  var ranking = JSON.parse(document.getElementById("ranking-data").textContent);
  var t = document.getElementById("chart-trend");
  if (t && trend.length) {
    echarts.init(t).setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["Trực tuyến", "Trực tiếp", "Bưu chính", "Quá hạn"] },
      xAxis: { type: "category", data: trend.map(function (m) { return m.month; }) },
      yAxis: { type: "value", name: "hồ sơ" },
      series: [
        { name: "Trực tuyến", type: "bar", stack: "r", data: trend.map(function (m) { return m.online; }) },
        { name: "Trực tiếp", type: "bar", stack: "r", data: trend.map(function (m) { return m.direct; }) },
        { name: "Bưu chính", type: "bar", stack: "r", data: trend.map(function (m) { return m.post; }) },
        { name: "Quá hạn", type: "line", data: trend.map(function (m) { return m.late; }) }
      ]
    });
  }
  var r = document.getElementById("chart-ranking");
  if (r && ranking.length) {
    echarts.init(r).setOption({
      tooltip: {},
      grid: { left: 220 },
      xAxis: { type: "value", min: 0, max: 100, name: "%" },
      yAxis: { type: "category", data: ranking.map(function (x) { return x.label; }) },
      series: [{
        type: "bar",
        data: ranking.map(function (x) { return x.rate; }),
        markLine: { data: [{ xAxis: 99, name: "Chỉ tiêu 99%" }], label: { formatter: "Chỉ tiêu 99%" } }
      }]
    });
  }
});
