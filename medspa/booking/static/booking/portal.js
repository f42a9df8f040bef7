/* Booking portal: the hold countdown. No inline scripts; htmx does the rest. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function start(el) {
    var ends = Date.parse(el.getAttribute("data-expires"));
    var out = el.querySelector(".countdown");
    if (!out || isNaN(ends)) return;
    function tick() {
      var left = Math.max(0, Math.floor((ends - Date.now()) / 1000));
      out.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
      if (left > 0) return;
      clearInterval(timer);
      el.classList.remove("alert-info");
      el.classList.add("alert-error");
      el.textContent = "Your hold on this time has expired. ";
      var again = el.getAttribute("data-again");
      if (again) {
        var a = document.createElement("a");
        a.href = again;
        a.textContent = "Pick a time again";
        el.appendChild(a);
      }
    }
    var timer = setInterval(tick, 1000);
    tick();
  }
  function init() {
    var timers = document.querySelectorAll(".hold-timer[data-expires]");
    for (var i = 0; i < timers.length; i++) start(timers[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
