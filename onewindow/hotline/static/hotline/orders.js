/* Work orders: search the knowledge base beside the intake form without leaving it, and
   "采用此答复" copies an article's answer into the direct-answer box. Without JavaScript the
   search form reloads the page with the results. */
(function () {
  "use strict";
  function use(btn) {
    var answer = document.getElementById("o-answer");
    var key = document.getElementById("o-article");
    var direct = document.getElementById("o-direct");
    if (answer) { answer.value = btn.getAttribute("data-answer") || ""; answer.focus(); }
    if (key) { key.value = btn.getAttribute("data-key") || ""; }
    if (direct) { direct.checked = true; }
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest(".kb-use") : null;
    if (btn) { ev.preventDefault(); use(btn); }
  });
  var form = document.getElementById("kb-form");
  var list = document.getElementById("kb-results");
  if (!form || !list || !window.fetch) { return; }
  form.addEventListener("submit", function (ev) {
    var q = (document.getElementById("kbq").value || "").trim();
    if (!q) { return; }
    ev.preventDefault();
    fetch("/api/v1/hotline/articles?limit=8&q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (hits) {
        list.textContent = "";
        if (!hits.length) {
          var li = document.createElement("li"); li.className = "muted";
          li.textContent = "知识库中没有找到相关条目。"; list.appendChild(li); return;
        }
        hits.forEach(function (h) {
          var li = document.createElement("li"); li.className = "result";
          var t = document.createElement("p"); t.className = "result-title";
          var s = document.createElement("strong"); s.textContent = h.article.question; t.appendChild(s);
          var c = document.createElement("span"); c.className = "muted small";
          c.textContent = " " + Math.round(h.confidence * 100) + "%"; t.appendChild(c);
          var a = document.createElement("p"); a.className = "kb-answer";
          a.textContent = h.article.answer.length > 200 ? h.article.answer.slice(0, 200) + "…" : h.article.answer;
          var d = document.createElement("p"); d.className = "muted small"; d.textContent = h.article.department;
          var b = document.createElement("button"); b.type = "button"; b.className = "btn btn-small btn-outline kb-use";
          b.setAttribute("data-key", h.article.key); b.setAttribute("data-answer", h.article.answer);
          b.textContent = "采用此答复";
          li.appendChild(t); li.appendChild(a); li.appendChild(d); li.appendChild(b); list.appendChild(li);
        });
      });
  });
})();
