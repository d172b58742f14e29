/* 评价器: asks state.json every few seconds and reloads the page when what it should show has
   changed (a visit awaits rating, was rated elsewhere, the staff on duty changed); sends an
   abandoned reasons screen back to idle; one submission per tap; keeps the clock. The page
   works without this file (it reloads itself by <noscript> refresh). No inline script (CSP). */
(function () {
  "use strict";

  var body = document.body;
  var mode = body.dataset.mode || "";
  var tag = body.dataset.tag || "";
  var stateUrl = body.dataset.stateUrl;
  var idleUrl = body.dataset.idleUrl;
  var pollMs = parseInt(body.dataset.pollMs, 10) || 3000;
  var idleSeconds = parseInt(body.dataset.idleSeconds, 10) || 120;
  var OFFLINE_AFTER = 3; // failed polls before the "connection lost" strip shows

  function backToIdle() {
    if (idleUrl) { window.location.replace(idleUrl); }
  }

  // The clock in the header.
  var clock = document.getElementById("clock");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var d = new Date();
    clock.textContent = pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  if (clock) { tick(); setInterval(tick, 15000); }

  // One submission per tap: a second tap while the first is on its way does nothing. (The
  // clicked button is not disabled: its name and value must reach the server.)
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
      body.classList.add("sending");
    });
  });

  // Idle and rating screens follow the window's state.
  if ((mode === "idle" || mode === "rate") && stateUrl) {
    var failures = 0;
    var schedule = function () { setTimeout(poll, pollMs); };
    var poll = function () {
      if (body.classList.contains("sending")) { return; }
      fetch(stateUrl, { cache: "no-store", credentials: "same-origin",
                        headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 403 || r.status === 404) { backToIdle(); return null; }
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (s) {
          if (!s) { return; }
          failures = 0;
          body.classList.remove("offline");
          if (s.tag !== tag) { backToIdle(); return; }
          schedule();
        })
        .catch(function () {
          failures += 1;
          if (failures >= OFFLINE_AFTER) { body.classList.add("offline"); }
          schedule();
        });
    };
    schedule();
  }

  // The reasons screen goes back to idle when nobody touches it for a while.
  if (mode === "reasons") {
    var timer = null;
    var restart = function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(backToIdle, idleSeconds * 1000);
    };
    ["pointerdown", "keydown", "input", "change"].forEach(function (name) {
      document.addEventListener(name, restart, true);
    });
    restart();
  }
})();
