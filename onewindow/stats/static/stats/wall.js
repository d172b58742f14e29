/* 数据大屏: a live clock, the charts, and a refresh of every figure by polling the JSON endpoint
   (every 30 s by default). When a poll fails the last figures stay and a marker shows. */
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var BLUE = "#4da3ff", GREEN = "#3ddc84", RED = "#ff5b5b", ACCENT = "#ffd23f", MUTED = "#9fb1d1",
      TEXT = "#f4f7fb", LINE = "#1f3560";
  var charts = {};
  var state = { polls: 0, ok: 0, failed: 0, lastUpdated: "" };
  var last = null;

  /* Font and line sizes are designed for 1080 pixels of height and follow the screen's. */
  function px(n) { return Math.max(9, Math.round(n * window.innerHeight / 1080)); }
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function pct(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }
  function labels(id) { return (document.getElementById(id).getAttribute("data-labels") || "").split("|"); }

  function tick() {
    var now = new Date();
    document.getElementById("w-time").textContent =
      pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
    document.getElementById("w-date").textContent =
      now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日";
  }

  function axisStyle() {
    return { axisLine: { lineStyle: { color: LINE } }, axisLabel: { color: MUTED, fontFamily: FONT, fontSize: px(14) },
             splitLine: { lineStyle: { color: LINE } } };
  }

  function merge(a, b) { Object.keys(b).forEach(function (k) { a[k] = b[k]; }); return a; }

  function base() {
    return { backgroundColor: "transparent", animation: false,
             textStyle: { fontFamily: FONT, color: TEXT },
             grid: { left: px(16), right: px(32), top: px(44), bottom: px(10), containLabel: true },
             legend: { top: 4, textStyle: { color: TEXT, fontFamily: FONT, fontSize: px(15) } } };
  }

  function trendOption(d) {
    var L = labels("w-trend");
    return merge(base(), {
      xAxis: merge({ type: "category", data: d.trend.map(function (r) { return r.label.slice(2); }) }, axisStyle()),
      yAxis: [merge({ type: "value", minInterval: 1 }, axisStyle()),
              merge({ type: "value", min: 0, max: 100, splitLine: { show: false },
                      axisLabel: { color: MUTED, formatter: "{value}%", fontSize: px(14) } }, {})],
      series: [
        { name: L[0], type: "bar", barMaxWidth: px(26), itemStyle: { color: BLUE },
          data: d.trend.map(function (r) { return r.received; }) },
        { name: L[1], type: "bar", barMaxWidth: px(26), itemStyle: { color: GREEN },
          data: d.trend.map(function (r) { return r.decided; }) },
        { name: L[2], type: "line", yAxisIndex: 1, connectNulls: true, symbolSize: px(8),
          itemStyle: { color: ACCENT }, lineStyle: { width: px(3) },
          data: d.trend.map(function (r) { return r.on_time_rate; }) }
      ]
    });
  }

  function rankOption(d) {
    var L = labels("w-rank");
    var opt = merge(base(), {
      legend: { show: false },
      xAxis: merge({ type: "value", minInterval: 1 }, axisStyle()),
      yAxis: merge({ type: "category", inverse: true, data: d.ranking.map(function (r) { return r.label; }) },
                   axisStyle()),
      series: [{ name: L[0], type: "bar", barMaxWidth: px(22),
                 itemStyle: { color: new window.echarts.graphic.LinearGradient(0, 0, 1, 0,
                   [{ offset: 0, color: "#1f6fd1" }, { offset: 1, color: BLUE }]) },
                 label: { show: true, position: "right", color: TEXT, fontSize: px(15) },
                 data: d.ranking.map(function (r) { return r.decided; }) }]
    });
    opt.yAxis.axisLabel = { color: TEXT, fontFamily: FONT, fontSize: px(15), width: px(260), overflow: "truncate" };
    if (!d.ranking.length) { opt.title = { text: L[1], left: "center", top: "middle", textStyle: { color: MUTED, fontFamily: FONT } }; }
    return opt;
  }

  function regionsOption(d) {
    var L = labels("w-regions");
    var opt = merge(base(), {
      xAxis: merge({ type: "category", data: d.regions.map(function (r) { return r.label; }) }, axisStyle()),
      yAxis: merge({ type: "value", minInterval: 1 }, axisStyle()),
      series: [
        { name: L[0], type: "bar", barMaxWidth: px(36), itemStyle: { color: BLUE },
          label: { show: true, position: "top", color: TEXT },
          data: d.regions.map(function (r) { return r.in_progress; }) },
        { name: L[1], type: "bar", barMaxWidth: px(36), itemStyle: { color: RED },
          label: { show: true, position: "top", color: RED,
                   formatter: function (p) { return p.value ? p.value : ""; } },
          data: d.regions.map(function (r) { return r.overdue; }) },
        { name: L[2], type: "bar", barMaxWidth: px(36), itemStyle: { color: GREEN },
          label: { show: true, position: "top", color: TEXT },
          data: d.regions.map(function (r) { return r.decided; }) }
      ]
    });
    opt.xAxis.axisLabel = { color: TEXT, fontFamily: FONT, fontSize: px(15), interval: 0 };
    if (!d.regions.length) { opt.title = { text: L[3], left: "center", top: "middle", textStyle: { color: MUTED, fontFamily: FONT } }; }
    return opt;
  }

  function gauge(name, value, centre, colour) {
    return {
      type: "gauge", name: name, center: [centre, "58%"], radius: "82%", min: 0, max: 100,
      startAngle: 210, endAngle: -30, progress: { show: true, width: px(16), itemStyle: { color: colour } },
      axisLine: { lineStyle: { width: px(16), color: [[1, LINE]] } },
      axisTick: { show: false }, splitLine: { show: false }, pointer: { show: false },
      axisLabel: { show: false },
      title: { offsetCenter: [0, "42%"], color: MUTED, fontSize: px(17), fontFamily: FONT },
      detail: { offsetCenter: [0, "0%"], fontSize: px(34), fontWeight: "bold", color: TEXT,
                formatter: function () { return pct(value); } },
      data: [{ value: value === null ? 0 : value, name: name }]
    };
  }

  function gaugeOption(d) {
    var L = labels("w-gauge");
    return { backgroundColor: "transparent", animation: false, textStyle: { fontFamily: FONT },
             series: [gauge(L[0], d.month.on_time_rate, "26%", GREEN),
                      gauge(L[1], d.month.satisfaction_rate, "74%", ACCENT)] };
  }

  var OPTIONS = { "w-trend": trendOption, "w-rank": rankOption, "w-regions": regionsOption,
                  "w-gauge": gaugeOption };

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o ? o[k] : undefined; }, obj);
  }

  function render(d) {
    document.querySelectorAll("[data-k]").forEach(function (el) {
      var v = get(d, el.getAttribute("data-k"));
      el.textContent = el.getAttribute("data-rate") ? pct(v) : (v === undefined ? "—" : String(v));
    });
    document.getElementById("w-scope").textContent = d.scope;
    document.getElementById("w-overdue").classList.toggle("is-alert", d.live.overdue > 0);
    document.getElementById("w-updated").textContent = d.updated_at.slice(11, 19);
    state.lastUpdated = d.updated_at;
    last = d;
    if (!window.echarts) { return; }
    Object.keys(OPTIONS).forEach(function (id) {
      if (!charts[id]) { charts[id] = window.echarts.init(document.getElementById(id), null, { renderer: "canvas" }); }
      charts[id].setOption(OPTIONS[id](d), true);
    });
  }

  function refresh() {
    var url = document.body.getAttribute("data-json-url");
    state.polls += 1;
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (d) {
        state.ok += 1;
        document.getElementById("w-state").hidden = true;
        render(d);
      })
      .catch(function () {
        state.failed += 1;
        document.getElementById("w-state").hidden = false;
      });
  }

  function start() {
    tick();
    setInterval(tick, 1000);
    render(JSON.parse(document.getElementById("wall-data").textContent));
    var every = parseInt(document.body.getAttribute("data-interval"), 10) || 30;
    setInterval(refresh, every * 1000);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      if (last) { render(last); }
    });
    window.statsWall = { refresh: refresh, state: function () { return state; }, charts: charts };
  }

  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
