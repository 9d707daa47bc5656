// A report's chart, drawn with ECharts (SVG) from the figures the page renders in its data
// attribute; the table under it holds the same numbers for screen readers and without scripts.
"use strict";

function drawReport(element) {
  const spec = JSON.parse(element.dataset.chart);
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "ru");
  const chart = echarts.init(element, null, { renderer: "svg" });
  const base = {
    animation: false,
    color: ["#0b5cad", "#2e7d32", "#b45309", "#6d28d9", "#be123c", "#0f766e", "#4d7c0f"],
    tooltip: { trigger: spec.type === "pie" ? "item" : "axis", valueFormatter: (v) => numbers.format(v) },
    legend: { top: 0, type: "scroll" },
  };
  if (spec.type === "heatmap") {
    // Rows of the table up the side (newest at the top), series along the bottom; a share in
    // percent per cell, empty where the month has not come (or has no computed period) yet.
    const cells = [];
    spec.series.forEach((s, x) => s.data.forEach((v, y) => { if (v !== null) cells.push([x, y, v]); }));
    chart.setOption({
      animation: false,
      tooltip: { position: "top", valueFormatter: (v) => numbers.format(v) + " %" },
      grid: { left: 8, right: 8, top: 8, bottom: 84, containLabel: true },
      xAxis: { type: "category", data: spec.series.map((s) => s.name), splitArea: { show: true } },
      yAxis: { type: "category", data: spec.labels, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: 120, inRange: { color: ["#f1f5f9", "#93c5fd", "#0b5cad"] },
      },
      series: [{
        type: "heatmap", data: cells,
        label: { show: spec.series.length <= 13, formatter: (p) => numbers.format(Math.round(p.value[2])) },
      }],
    });
  } else if (spec.type === "pie") {
    const first = spec.series[0];
    chart.setOption({
      ...base,
      series: [{
        name: first.name, type: "pie", radius: ["35%", "65%"], top: 24,
        data: spec.labels.map((label, i) => ({ name: label, value: first.data[i] })),
      }],
    });
  } else {
    chart.setOption({
      ...base,
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", axisLabel: { formatter: (v) => numbers.format(v) } },
      series: spec.series.map((s) => ({
        name: s.name, data: s.data,
        type: spec.type === "line" ? "line" : "bar",
        stack: spec.type === "stacked" ? "all" : undefined,
      })),
    });
  }
  new ResizeObserver(() => chart.resize()).observe(element);
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof echarts === "undefined") return; // the table says it all
  document.querySelectorAll(".report-chart").forEach(drawReport);
});
