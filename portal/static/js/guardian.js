// Guardian invites: a "copy the message" button (shown only when the browser can copy).
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.querySelector(".copy-done");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value).then(function () {
        if (status) {
          status.textContent = status.getAttribute("data-copied-text");
          status.classList.remove("visually-hidden");
        }
      });
    });
  });
})();
