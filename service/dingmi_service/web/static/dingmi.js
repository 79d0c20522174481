// dingmi web pages: small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move keyboard focus to an error or confirmation so screen-reader and keyboard users find it.
  var notice = document.querySelector("#decision-error, .alert[role=alert], .ok[role=status]");
  if (notice) {
    notice.setAttribute("tabindex", "-1");
    notice.focus();
  }
  // Level and period only matter for a change: disable them otherwise (still labelled and visible).
  var radios = document.querySelectorAll("input[name=action]");
  var level = document.getElementById("level");
  var period = document.getElementById("period");
  function sync() {
    var chosen = document.querySelector("input[name=action]:checked");
    var change = chosen && chosen.value === "change";
    if (level) level.disabled = !change;
    if (period) period.disabled = !change;
  }
  radios.forEach(function (r) { r.addEventListener("change", sync); });
  if (radios.length) sync();
});
