// The kiosk's ticket: print on arrival (a thermal printer set as the kiosk's default printer),
// and on the button; the page returns to the category buttons by itself.
(function () {
  "use strict";
  var btn = document.querySelector("[data-print]");
  if (!btn) { return; }
  btn.addEventListener("click", function () { window.print(); });
})();
