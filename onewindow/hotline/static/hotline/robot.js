// The robot page: ask through the API and append the answer; without JS the form posts.
(function () {
  "use strict";
  var form = document.getElementById("ask-form");
  var chat = document.getElementById("chat");
  if (!form || !chat || !window.fetch) return;
  var input = document.getElementById("id_q");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }
  function list(title, items) {
    var box = el("div", "answer-more");
    box.appendChild(el("p", "small", title));
    var ul = el("ul");
    items.forEach(function (it) {
      var li = el("li");
      var a = el("a", "", it.name || it.question);
      a.href = it.url;
      li.appendChild(a);
      if (it.department) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "muted small", it.department)); }
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }
  function render(data) {
    var li = el("li", "bubble bubble-bot" + (data.answered ? "" : " bubble-unknown"));
    if (data.answered && data.answer) {
      var q = el("p", "answer-q"); q.appendChild(el("strong", "", data.answer.question)); li.appendChild(q);
      li.appendChild(el("p", "answer-text", data.answer.answer));
      li.appendChild(el("p", "answer-meta muted small", "答复部门：" + data.answer.department));
      if (data.answer.related_items.length) {
        var box = list("相关事项与办事指南", data.answer.related_items);
        box.className = "answer-links"; li.appendChild(box);
      }
    } else {
      li.appendChild(el("p", "", data.message));
      var p = el("p", "unknown-actions");
      var call = el("a", "btn btn-small", "拨打 " + data.phone); call.href = "tel:" + data.phone; p.appendChild(call);
      if (data.create_work_order_url) {
        var wo = el("a", "btn btn-small btn-outline", "在线提交诉求"); wo.href = data.create_work_order_url; p.appendChild(wo);
      }
      li.appendChild(p);
    }
    if (data.candidates && data.candidates.length) li.appendChild(list(data.answered ? "您可能还想问" : "您是不是想问", data.candidates));
    if (data.guides && data.guides.length) li.appendChild(list("办事指南", data.guides));
    return li;
  }
  function ask(text) {
    chat.appendChild(el("li", "bubble bubble-me", text));
    var wait = el("li", "bubble bubble-bot robot-typing", "正在查找…");
    chat.appendChild(wait);
    wait.scrollIntoView({block: "end"});
    fetch("/api/v1/hotline/robot/ask", {
      method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({question: text})
    }).then(function (r) { return r.json().then(function (d) { return {ok: r.ok, data: d}; }); })
      .then(function (res) {
        chat.removeChild(wait);
        if (res.ok) { chat.appendChild(render(res.data)); }
        else { var e = el("li", "bubble bubble-bot", (res.data && res.data.errors && res.data.errors.question && res.data.errors.question[0]) || res.data.message || "出错了，请稍后再试。"); e.setAttribute("role", "alert"); chat.appendChild(e); }
        chat.lastChild.scrollIntoView({block: "start", behavior: "smooth"});
      })
      .catch(function () { chat.removeChild(wait); form.submit(); });
  }
  form.addEventListener("submit", function (ev) {
    var text = (input.value || "").trim();
    if (text.length < 2) return; // let the server explain the error
    ev.preventDefault();
    input.value = "";
    ask(text);
  });
  chat.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-q")) { ev.preventDefault(); ask(t.getAttribute("data-q")); }
  });
})();
