/* Case pages of the workbench: progressive enhancement only; every form works without it. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function firstField(root) {
    return root.querySelector("input:not([type=hidden]):not([disabled]), textarea, select");
  }

  ready(function () {
    // Action panels (details.act): opening one (by click or accesskey) closes the others and
    // puts the cursor in its first field, so a clerk can type at once.
    var panels = Array.prototype.slice.call(document.querySelectorAll("details.act"));
    panels.forEach(function (panel) {
      panel.addEventListener("toggle", function () {
        if (!panel.open) { return; }
        panels.forEach(function (other) { if (other !== panel && other.open) { other.open = false; } });
        var field = firstField(panel);
        if (field) { field.focus(); }
      });
    });
    document.querySelectorAll("details.mini").forEach(function (mini) {
      mini.addEventListener("toggle", function () {
        var field = mini.open && firstField(mini);
        if (field) { field.focus(); }
      });
    });

    // Delivery: show only the field the chosen method needs.
    document.querySelectorAll("form.js-deliver").forEach(function (form) {
      function sync() {
        var chosen = form.querySelector("input[name=method]:checked");
        var method = chosen ? chosen.value : "";
        form.querySelectorAll(".js-method").forEach(function (box) {
          box.hidden = !box.classList.contains("js-method-" + method);
        });
      }
      form.querySelectorAll("input[name=method]").forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    });

    // After a refused action, the first field with an error gets the focus.
    var invalid = document.querySelector(".case-right .field-invalid input, .case-right .field-invalid textarea, .case-right .field-invalid select");
    if (invalid) { invalid.focus(); }
  });
})();
