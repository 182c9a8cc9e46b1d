// Dashboard charts (Chart.js, served by the portal) drawn from the JSON block of the page.
// The tables on the page carry the same figures; the charts are an addition, not the only view.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var labels = document.getElementById("chart-labels").dataset;
  var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var common = { animation: reduceMotion ? false : undefined, responsive: true };

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
    var colours = ["#b45f06", "#38761d", "#741b47"];
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
