// Add-role form: show only the villages of the chosen township.
(function () {
  "use strict";
  var township = document.getElementById("township");
  var villages = document.getElementById("villages");
  if (!township || !villages) { return; }
  function update() {
    var chosen = township.options[township.selectedIndex];
    var name = chosen && chosen.value ? chosen.text : "";
    var groups = villages.querySelectorAll("optgroup");
    groups.forEach(function (group) {
      var show = group.label === name;
      group.hidden = !show;
      group.disabled = !show;
      if (!show) {
        group.querySelectorAll("option").forEach(function (o) { o.selected = false; });
      }
    });
  }
  township.addEventListener("change", update);
  update();
})();
