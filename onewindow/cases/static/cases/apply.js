/* Applicant pages (申请、补正): progressive enhancement only; every form works without it. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // Forms that must not be sent twice (a second tap while a file uploads on a slow network).
    // Buttons are not disabled: their name/value (action=save|next) must still be sent.
    document.querySelectorAll("form.js-once").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("aria-busy") === "true") {
          event.preventDefault();
          return;
        }
        form.setAttribute("aria-busy", "true");
        form.classList.add("is-busy");
        var file = form.querySelector("input[type=file]");
        var button = event.submitter || form.querySelector("button[type=submit]");
        if (file && button) { button.textContent = form.getAttribute("data-busy") || "正在上传…"; }
      });
    });

    // Upload rows: the button stands out once a file has been chosen.
    document.querySelectorAll("input.js-autoupload").forEach(function (input) {
      input.addEventListener("change", function () {
        var button = input.form && input.form.querySelector("button[type=submit]");
        if (button) { button.classList.toggle("btn-primary", input.files && input.files.length > 0); }
      });
    });
  });
})();
