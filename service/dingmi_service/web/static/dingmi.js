// dingmi web pages: small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move keyboard focus to an error or confirmation so screen-reader and keyboard users find it.
  var notice = document.querySelector("#decision-error, #escalation-error, .alert[role=alert], .ok[role=status], .notice[role=status]");
  var result = document.querySelector("form#check-form ~ #result");
  if (notice) {
    notice.setAttribute("tabindex", "-1");
    notice.focus();
  } else if (result) {
    // after 检查 the result is what the person came for: focus it and bring it into view
    result.focus({ preventScroll: true });
    result.scrollIntoView({ block: "start" });
  }
  var printLink = document.getElementById("print-page");
  if (printLink) printLink.addEventListener("click", function (e) { e.preventDefault(); window.print(); });
  // choosing an entry from the catalog list chooses "其他条目"
  var other = document.getElementById("basis-other");
  var otherChoice = document.getElementById("basis-other-choice");
  if (other && otherChoice) other.addEventListener("change", function () { if (other.value) otherChoice.checked = true; });
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
