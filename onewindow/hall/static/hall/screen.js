/* The hall's display screen: live snapshots by server-sent events, polling screen.json when
   EventSource is missing or keeps failing; optional voice announcements (?voice=1). */
(function () {
  "use strict";

  var body = document.body;
  var STREAM_URL = body.dataset.streamUrl;
  var JSON_URL = body.dataset.jsonUrl;
  var VOICE = body.dataset.voice === "1";
  var POLL_MS = 2000;          // fallback polling period
  var SILENCE_MS = 40000;      // no event nor ping for this long: the link is dead, reconnect
  var MARKER_DELAY_MS = 3000;  // a reconnect quicker than this shows nothing
  var SSE_FAILURES_TO_POLL = 3;
  var SSE_RETRY_MS = 30000;    // while polling, try the stream again this often
  var CALLING_ROWS = 6;        // rows of the list under the latest call that fit the screen

  var current = { version: -1, tag: body.dataset.tag || "" };
  var lastCallId = null;       // latest call event shown (null: first snapshot not shown yet)
  var announced = {};
  var es = null, failures = 0, pollTimer = null, retryTimer = null, markerTimer = null;
  var silenceTimer = null, etag = "";

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function replace(node, children) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    children.forEach(function (c) { node.appendChild(c); });
  }

  /* --- rendering ------------------------------------------------------------------------ */

  function render(s) {
    var latest = s.calls && s.calls.length ? s.calls[0] : null;
    $("latest-empty").hidden = !!latest;
    $("latest-call").hidden = !latest;
    if (latest) {
      $("latest-number").textContent = latest.number;
      $("latest-window").textContent = latest.window;
    }
    var rows = (s.calling || []).slice(0, CALLING_ROWS).map(function (t) {
      var tr = el("tr", t.state);
      tr.appendChild(el("td", "num", t.number));
      tr.appendChild(el("td", "wno", t.window + " 号窗口"));
      tr.appendChild(el("td", "state", t.state === "called" ? "请前往" : "办理中"));
      return tr;
    });
    if (!rows.length) {
      var tr = el("tr", "empty"); var td = el("td", "", "暂无呼叫");
      td.colSpan = 3; tr.appendChild(td); rows.push(tr);
    }
    replace($("calling-rows"), rows);

    replace($("categories"), (s.categories || []).map(function (c) {
      var li = el("li");
      li.appendChild(el("span", "cat-letter", c.letter));
      li.appendChild(el("span", "cat-name", c.name));
      var n = el("span", "cat-count", c.waiting); n.appendChild(el("small", "", "人"));
      li.appendChild(n);
      return li;
    }));

    var count = (s.windows || []).length;
    $("windows").className = "windows" + (count > 20 ? " dense denser" : count > 9 ? " dense" : "");
    replace($("windows"), (s.windows || []).map(function (w) {
      var li = el("li", "win " + w.status);
      var head = el("div", "win-head");
      head.appendChild(el("span", "win-no", w.number));
      head.appendChild(el("span", "win-name", w.name));
      li.appendChild(head);
      if (w.staff_name) {
        li.appendChild(el("p", "win-staff", w.staff_name));
        if (w.staff_number) { li.appendChild(el("p", "win-staffno", "工号 " + w.staff_number)); }
      }
      var status = w.status_label;
      if (w.whereabouts) { status += " · " + w.whereabouts; }
      if (w.back_at) { status += " · 预计 " + w.back_at + " 返回"; }
      li.appendChild(el("p", "win-status", status));
      return li;
    }));

    var notices = s.notices || [];
    var text = notices.length ? notices.join("　　◆　　") : "欢迎来到" + s.centre.name +
      "，请按号码顺序等候叫号。";
    var marquee = $("notices");
    if (marquee.textContent !== text) {
      marquee.textContent = text;
      // Roughly 6 characters a second, however long the notices are.
      marquee.style.animationDuration = Math.max(20, Math.round(text.length / 6) + 15) + "s";
    }
  }

  function apply(s, tag) {
    if (!s || typeof s.version !== "number") { return; }
    if (s.version < current.version) { return; }  // an older answer overtaken by a newer one
    if (tag && tag === current.tag && current.version >= 0) { return; }
    current = { version: s.version, tag: tag || "" };
    render(s);
    var latest = s.calls && s.calls.length ? s.calls[0] : null;
    if (lastCallId === null) {
      // The first snapshot: what was called before this screen opened is not announced.
      (s.calls || []).forEach(function (c) { announced[c.id] = true; });
      lastCallId = latest ? latest.id : 0;
      return;
    }
    if (latest && latest.id !== lastCallId) {
      lastCallId = latest.id;
      var box = $("latest");
      box.classList.remove("flash");
      void box.offsetWidth;  // restart the animation
      box.classList.add("flash");
    }
    (s.calls || []).slice().reverse().forEach(function (c) {
      if (!announced[c.id]) { announced[c.id] = true; announce(c); }
    });
  }

  /* --- voice ---------------------------------------------------------------------------- */

  var DIGITS = "零一二三四五六七八九";
  function spoken(text) {
    return String(text).split("").map(function (ch) {
      return ch >= "0" && ch <= "9" ? DIGITS[+ch] : ch;
    }).join(" ");
  }
  var voiceBlocked = false;
  function announce(c) {
    if (!VOICE || !window.speechSynthesis || !window.SpeechSynthesisUtterance) { return; }
    var u = new SpeechSynthesisUtterance(
      "请 " + spoken(c.number) + " 号，到 " + spoken(c.window) + " 号窗口办理");
    u.lang = "zh-CN";
    u.rate = 0.9;
    u.onstart = function () {
      var btn = $("voice-btn");
      if (btn) { btn.hidden = true; }
    };
    u.onerror = function (e) {
      if (e && e.error === "not-allowed" && !voiceBlocked) {
        voiceBlocked = true;
        var btn = $("voice-btn");
        if (btn) { btn.hidden = false; }
      }
    };
    window.speechSynthesis.speak(u);
  }
  var voiceBtn = $("voice-btn");
  if (voiceBtn) {
    voiceBtn.hidden = !VOICE;
    voiceBtn.addEventListener("click", function () {
      voiceBlocked = false;
      voiceBtn.hidden = true;
      if (window.speechSynthesis) {
        var u = new SpeechSynthesisUtterance("语音播报已开启");
        u.lang = "zh-CN";
        window.speechSynthesis.speak(u);
      }
    });
  }

  /* --- connection state ----------------------------------------------------------------- */

  function linkUp() {
    if (markerTimer) { clearTimeout(markerTimer); markerTimer = null; }
    $("link-state").hidden = true;
    body.classList.remove("offline");
  }
  function linkDown() {
    if (markerTimer) { return; }
    markerTimer = setTimeout(function () {
      $("link-state").hidden = false;
      body.classList.add("offline");
    }, MARKER_DELAY_MS);
  }

  /* --- server-sent events --------------------------------------------------------------- */

  function heard() {
    failures = 0;
    linkUp();
    if (silenceTimer) { clearTimeout(silenceTimer); }
    silenceTimer = setTimeout(function () {
      // Nothing, not even a ping: a half-open connection. Start again.
      linkDown();
      closeStream();
      openStream();
    }, SILENCE_MS);
  }

  function closeStream() {
    if (es) { es.close(); es = null; }
    if (silenceTimer) { clearTimeout(silenceTimer); silenceTimer = null; }
  }

  function openStream() {
    if (!window.EventSource) { startPolling(); return; }
    closeStream();
    var url = STREAM_URL + (current.tag ? "?last=" + encodeURIComponent(current.tag) : "");
    var source = new EventSource(url);
    es = source;
    source.onopen = function () { if (es === source) { heard(); stopPolling(); } };
    source.addEventListener("snapshot", function (e) {
      if (es !== source) { return; }
      heard();
      try { apply(JSON.parse(e.data), e.lastEventId); } catch (err) { /* keep the screen */ }
    });
    source.addEventListener("ping", function (e) {
      if (es !== source) { return; }
      heard();
      if (e.data && e.data !== current.tag) { pollOnce(); }
    });
    source.onerror = function () {
      if (es !== source) { return; }
      linkDown();
      failures += 1;
      if (source.readyState === 2 || failures >= SSE_FAILURES_TO_POLL) {
        // Closed for good (e.g. an error status) or failing again and again: poll instead and
        // try the stream again later.
        closeStream();
        startPolling();
        if (!retryTimer) {
          retryTimer = setTimeout(function () { retryTimer = null; failures = 0; openStream(); },
            SSE_RETRY_MS);
        }
      }
    };
  }

  /* --- polling fallback ----------------------------------------------------------------- */

  function pollOnce() {
    var headers = {};
    if (etag) { headers["If-None-Match"] = etag; }
    return fetch(JSON_URL, { headers: headers, cache: "no-store", credentials: "omit" })
      .then(function (r) {
        if (r.status === 304) { linkUp(); return null; }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        etag = r.headers.get("ETag") || "";
        return r.json().then(function (s) {
          linkUp();
          apply(s, etag.replace(/^W\//, "").replace(/"/g, ""));
        });
      })
      .catch(function () { linkDown(); });
  }

  function startPolling() {
    if (pollTimer) { return; }
    body.classList.add("polling");
    pollOnce();
    pollTimer = setInterval(pollOnce, POLL_MS);
  }

  function stopPolling() {
    if (!pollTimer) { return; }
    clearInterval(pollTimer);
    pollTimer = null;
    body.classList.remove("polling");
  }

  /* --- clock ---------------------------------------------------------------------------- */

  var WEEK = "日一二三四五六";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var d = new Date();
    $("clock-date").textContent = d.getFullYear() + "年" + (d.getMonth() + 1) + "月" +
      d.getDate() + "日 星期" + WEEK[d.getDay()];
    $("clock-time").textContent = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" +
      pad(d.getSeconds());
  }

  /* --- start ---------------------------------------------------------------------------- */

  tick();
  setInterval(tick, 1000);
  try {
    apply(JSON.parse($("screen-data").textContent), current.tag);
  } catch (err) { /* the stream sends it again */ }
  openStream();
  // Expose the state for the browser tests and for whoever looks at a screen's console.
  window.hallScreen = {
    state: function () {
      return { version: current.version, tag: current.tag, polling: !!pollTimer,
               streaming: !!es, announced: Object.keys(announced).length };
    }
  };
}());
