// Dashboard charts (Chart.js, served by the portal) drawn from the JSON block of the page.
// The tables on the page carry the same figures; the charts are an addition, not the only view.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  if (typeof window.Chart === "undefined") { return; }
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var common = { animation: reduceMotion ? false : undefined, responsive: true };
  var colours = ["#b45f06", "#38761d", "#741b47"];

  // The campaigns side by side: holding rate by days since each campaign's start.
  var compare = document.getElementById("chart-compare");
  var compareSource = document.getElementById("compare-data");
  if (compare && compareSource) {
    var series = JSON.parse(compareSource.textContent);
    var axis = document.getElementById("compare-labels").dataset;
    var palette = ["#0b5394"].concat(colours);
    new window.Chart(compare, {
      type: "line",
      data: {
        datasets: series.map(function (s, i) {
          return { label: s.name, data: s.points.map(function (p) { return { x: p.x, y: p.y }; }),
                   borderColor: palette[i % palette.length],
                   backgroundColor: palette[i % palette.length],
                   borderDash: s.status === "active" ? [] : [6, 4] };
        })
      },
      options: Object.assign({ scales: {
        x: { type: "linear", title: { display: true, text: axis.x } },
        y: { min: 0, max: 100, title: { display: true, text: axis.y } } } }, common)
    });
  }

  var source = document.getElementById("dashboard-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("chart-labels").dataset;

  var progress = document.getElementById("chart-progress");
  if (progress && data.progress.length) {
    new window.Chart(progress, {
      type: "line",
      data: {
        labels: data.progress.map(function (p) { return p.date; }),
        datasets: [
          { label: labels.actual, data: data.progress.map(function (p) { return p.actual; }),
            borderColor: "#0b5394", backgroundColor: "#0b5394", spanGaps: true },
          { label: labels.target, data: data.progress.map(function (p) { return p.target; }),
            borderColor: "#b45f06", backgroundColor: "#b45f06", borderDash: [6, 4],
            spanGaps: true }
        ]
      },
      options: Object.assign({ scales: { y: { min: 0, max: 100 } } }, common)
    });
  }

  var units = document.getElementById("chart-units");
  if (units && data.names.length) {
    var datasets = [{ type: "bar", label: labels.actual, data: data.rates,
                      backgroundColor: "#0b5394" }];
    data.targets.forEach(function (t, i) {
      datasets.push({
        type: "line",
        label: labels.targetLine.replace("{rate}", t.rate).replace("{deadline}", t.deadline),
        data: data.names.map(function () { return t.rate; }),
        borderColor: colours[i % colours.length], borderDash: [6, 4], pointRadius: 0,
        fill: false
      });
    });
    new window.Chart(units, {
      data: { labels: data.names, datasets: datasets },
      options: Object.assign({ scales: { y: { min: 0, max: 100 } } }, common)
    });
  }
})();
