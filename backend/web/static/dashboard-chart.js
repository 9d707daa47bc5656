// The dashboard's volumes by period, drawn with ECharts (SVG) from the data attributes the page
// renders; the table under it carries the same figures for screen readers and without scripts.
"use strict";

function drawVolumes(element) {
  const read = (name) => JSON.parse(element.dataset[name]);
  const periods = read("periods");
  const estimates = read("estimates");
  const labels = periods.map((id, i) =>
    element.dataset.periodLabel.replace("{id}", id) + (estimates[i] ? " *" : ""));
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "ru");
  const chart = echarts.init(element, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    color: ["#0b5cad", "#2e7d32"],
    grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: "axis", valueFormatter: (value) => numbers.format(value) },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", axisLabel: { formatter: (value) => numbers.format(value) } },
    series: [
      { name: element.dataset.gvName, type: "bar", data: read("gv") },
      { name: element.dataset.pvName, type: "line", data: read("pv"), symbolSize: 7 },
    ],
  });
  new ResizeObserver(() => chart.resize()).observe(element);
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof echarts === "undefined") return; // the table says it all
  document.querySelectorAll(".volume-chart").forEach(drawVolumes);
});
