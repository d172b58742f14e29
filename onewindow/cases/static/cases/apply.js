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
        var chosen = input.files && input.files.length > 0;
        var button = input.form && input.form.querySelector("button[type=submit]");
        if (button) { button.classList.toggle("btn-primary", chosen); }
        // The chosen file's name on the chooser's face (the native text is hidden).
        var pick = input.closest(".file-pick");
        var name = pick && pick.querySelector(".file-face-name");
        if (name) {
          if (!name.hasAttribute("data-empty")) { name.setAttribute("data-empty", name.textContent); }
          name.textContent = chosen ? input.files[0].name : name.getAttribute("data-empty");
          pick.classList.toggle("is-chosen", chosen);
        }
      });
    });
  });
})();
