/* Booking portal: the hold countdown and one submit per tap. No inline scripts; htmx does the rest. */
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
  // A double tap on a time or "Book now" sends the form once (the server is idempotent too).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
  // Coming back to a page from the back/forward cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    var sent = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < sent.length; i++) sent[i].removeAttribute("data-sent");
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
