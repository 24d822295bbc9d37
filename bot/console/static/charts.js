/* Draws the analytics page's charts with Chart.js from the JSON the server embedded in
   <script type="application/json" id="analytics-data">. Text goes to canvases only (no
   HTML is built from data). Layout styles are set through the CSSOM (allowed by the CSP). */
(function () {
  "use strict";
  var source = document.getElementById("analytics-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var data = JSON.parse(source.textContent);
  var narrow = window.matchMedia("(max-width: 760px)").matches;
  var palette = ["#1f6feb", "#1a7f37", "#b35900", "#8250df", "#b42318", "#0b7285", "#bf8700", "#5d6778"];

  Chart.defaults.animation = false;
  Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1d2430";
  Chart.defaults.plugins.legend.position = "bottom";
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function layout() {
    Array.prototype.forEach.call(document.querySelectorAll(".charts"), function (grid) {
      grid.style.display = "grid";
      grid.style.gridTemplateColumns = narrow ? "1fr" : "repeat(auto-fill, minmax(440px, 1fr))";
      grid.style.gap = "1rem";
      grid.style.margin = "1rem 0";
      Array.prototype.forEach.call(grid.querySelectorAll(".chart"), function (section) {
        section.style.background = "#fff";
        section.style.border = "1px solid #d9dee6";
        section.style.borderRadius = "8px";
        section.style.padding = ".8rem";
        section.style.minWidth = "0";
      });
    });
  }

  function color(index) {
    return palette[index % palette.length];
  }

  function dayLabels() {
    return data.days.map(function (day) {
      return day.slice(5);  // MM-DD: the year is in the range above
    });
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    config.options = Object.assign(
      { responsive: true, maintainAspectRatio: true, aspectRatio: narrow ? 1.3 : 2 },
      config.options || {}
    );
    new Chart(canvas, config);
  }

  function stacked(series) {
    return Object.keys(series).map(function (name, index) {
      return { label: name, data: series[name], backgroundColor: color(index), stack: "all" };
    });
  }

  var dayAxis = { ticks: { maxRotation: 0, autoSkipPadding: 8 } };
  var countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  layout();
  draw("chart-activity", {
    type: "bar",
    data: {
      labels: dayLabels(),
      datasets: [
        { type: "line", label: "Conversations", data: data.conversations, borderColor: color(0), backgroundColor: color(0), yAxisID: "y", order: 0 },
        { type: "bar", label: "Client messages", data: data.messages, borderColor: color(1), backgroundColor: "rgba(26, 127, 55, 0.35)", yAxisID: "y1", order: 1 }
      ]
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: {
        x: dayAxis,
        y: Object.assign({ title: { display: !narrow, text: "conversations" } }, countAxis),
        y1: Object.assign({ position: "right", grid: { drawOnChartArea: false }, title: { display: !narrow, text: "messages" } }, countAxis)
      }
    }
  });
  draw("chart-channels", {
    type: "bar",
    data: { labels: dayLabels(), datasets: stacked(data.byChannel) },
    options: { interaction: { mode: "index", intersect: false }, scales: { x: Object.assign({ stacked: true }, dayAxis), y: Object.assign({ stacked: true }, countAxis) } }
  });
  draw("chart-languages", {
    type: "bar",
    data: { labels: dayLabels(), datasets: stacked(data.byLanguage) },
    options: { interaction: { mode: "index", intersect: false }, scales: { x: Object.assign({ stacked: true }, dayAxis), y: Object.assign({ stacked: true }, countAxis) } }
  });
  draw("chart-intents", {
    type: "bar",
    data: {
      labels: data.intents.map(function (item) { return item.name; }),
      datasets: [{ label: "Client messages", data: data.intents.map(function (item) { return item.count; }), backgroundColor: color(0) }]
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: countAxis } }
  });
  draw("chart-fallback", {
    type: "line",
    data: {
      labels: dayLabels(),
      datasets: [{ label: "Fallback rate (%)", data: data.fallbackRate, borderColor: color(4), backgroundColor: color(4), spanGaps: true }]
    },
    options: { plugins: { legend: { display: false } }, scales: { x: dayAxis, y: { beginAtZero: true, suggestedMax: 20 } } }
  });
  var support = stacked(data.handoffs).map(function (dataset) {
    dataset.label = "Handoff: " + dataset.label;
    return dataset;
  });
  support.push({ type: "line", label: "Complaints", stack: "complaints", data: data.complaints, borderColor: color(4), backgroundColor: color(4) });
  draw("chart-support", {
    type: "bar",
    data: { labels: dayLabels(), datasets: support },
    options: { interaction: { mode: "index", intersect: false }, scales: { x: Object.assign({ stacked: true }, dayAxis), y: Object.assign({ stacked: true }, countAxis) } }
  });
  if (data.lessons.available) {
    draw("chart-lessons", {
      type: "bar",
      data: {
        labels: dayLabels(),
        datasets: [
          { label: "Topics completed", data: data.lessons.completed, backgroundColor: color(1), yAxisID: "y" },
          { type: "line", label: "Average quiz score (%)", data: data.lessons.quizAverage, borderColor: color(7), backgroundColor: color(7), spanGaps: true, yAxisID: "y1" }
        ]
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: dayAxis,
          y: countAxis,
          y1: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }
        }
      }
    });
  }
})();
