// Polls a background job's progress (JSON) and moves the <progress> bar; reloads the page when
// the job has ended. Without JavaScript the page refreshes itself instead (see
// templates/jobs/_progress.html).
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var bar = document.getElementById("job-progress-bar");
  var text = document.getElementById("job-progress-text");
  var phase = document.getElementById("job-phase");
  var state = document.querySelector("#job-state .badge");
  var url = box.getAttribute("data-progress-url");
  var lastAnnounced = -1;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!data.active) { window.location.reload(); return; }
        if (state && data.state_text) { state.textContent = data.state_text; }
        if (phase && data.phase_text) { phase.textContent = data.phase_text; }
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
