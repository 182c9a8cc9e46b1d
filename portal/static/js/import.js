// Polls an import job's progress and updates the <progress> bar; reloads when it is done.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  var url = box.getAttribute("data-progress-url");
  var lastAnnounced = -1;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!data.running) { window.location.reload(); return; }
        if (data.total > 0) {
          bar.value = data.percent;
          // Announce in steps of 10 % so that screen readers are not flooded.
          var step = Math.floor(data.percent / 10) * 10;
          if (step !== lastAnnounced) {
            lastAnnounced = step;
            text.textContent = data.percent + " % (" + data.done + " / " + data.total + ")";
          }
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
}());
