// Catalogue import page: polls the job's status once a second and shows progress and errors.
// No inline script anywhere (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    row.appendChild(td);
  }

  function render(section, data) {
    var progress = document.getElementById("import-progress");
    var total = data.total || 1;
    progress.max = total;
    progress.value = Math.min(data.done || 0, total);
    document.getElementById("import-count").textContent = (data.done || 0) + " / " + (data.total || 0);
    document.getElementById("import-state").textContent = data.status_display;
    document.getElementById("import-summary").textContent = data.summary || "";
    section.dataset.status = data.status;
    var table = document.getElementById("import-errors");
    var body = table.querySelector("tbody");
    if (data.errors && data.errors.length) {
      while (body.firstChild) { body.removeChild(body.firstChild); }
      data.errors.forEach(function (error) {
        var row = document.createElement("tr");
        cell(row, error.sheet);
        cell(row, error.row);
        cell(row, error.field);
        cell(row, error.error);
        body.appendChild(row);
      });
      table.hidden = false;
    }
  }

  function poll(section) {
    var url = section.dataset.statusUrl;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        render(section, data);
        if (!data.finished) { window.setTimeout(function () { poll(section); }, 1000); }
      })
      .catch(function () { window.setTimeout(function () { poll(section); }, 3000); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("import-status");
    if (!section || !section.dataset.statusUrl) { return; }
    var status = section.dataset.status;
    if (status === "succeeded" || status === "failed") { return; }
    poll(section);
  });
})();
