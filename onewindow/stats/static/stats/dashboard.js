/* 统计分析: draws the dashboard's charts (ECharts, served locally) from the page's JSON block.
   Without JavaScript the tables show the same figures; with it, each block shows its chart and
   a "表格" button switches to the table. Clicking a region or department bar drills down. */
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  var BLUE = "#1a4f9c", GREEN = "#17713a", RED = "#c8161d", ORANGE = "#d97706", TEAL = "#2a7f8f",
      GREY = "#8a94a6";
  var charts = {};

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function pct(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }

  function base() {
    return {
      textStyle: { fontFamily: FONT, fontSize: 13, color: "#1f2329" },
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" },
                 textStyle: { fontFamily: FONT } },
      legend: { top: 0, textStyle: { fontFamily: FONT, fontSize: 13 } },
      grid: { left: 12, right: 24, top: 40, bottom: 8, containLabel: true }
    };
  }

  function merge(a, b) { Object.keys(b).forEach(function (k) { a[k] = b[k]; }); return a; }

  function trend(data, L) {
    var rows = data.trend;
    return merge(base(), {
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
               axisLabel: { fontFamily: FONT } },
      yAxis: [
        { type: "value", name: L.count, minInterval: 1, nameTextStyle: { fontFamily: FONT } },
        { type: "value", name: L.on_time_rate, min: 0, max: 100,
          axisLabel: { formatter: "{value}%" }, splitLine: { show: false },
          nameTextStyle: { fontFamily: FONT } }
      ],
      series: [
        { name: L.received, type: "bar", data: rows.map(function (r) { return r.received; }),
          itemStyle: { color: BLUE }, barMaxWidth: 22 },
        { name: L.decided, type: "bar", data: rows.map(function (r) { return r.decided; }),
          itemStyle: { color: GREEN }, barMaxWidth: 22 },
        { name: L.on_time_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: rows.map(function (r) { return r.on_time_rate; }),
          itemStyle: { color: ORANGE }, lineStyle: { width: 2 }, symbolSize: 7,
          tooltip: { valueFormatter: pct } }
      ]
    });
  }

  function regions(data, L) {
    var rows = data.children;
    return merge(base(), {
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }),
               axisLabel: { interval: 0, fontFamily: FONT, formatter: function (v, i) {
                 var r = rows[i];
                 return r && r.overdue > 0 ? v + "\n{red|" + L.overdue_mark + " " + r.overdue + "}" : v;
               }, rich: { red: { color: RED, fontWeight: "bold", fontFamily: FONT } } } },
      yAxis: { type: "value", minInterval: 1, name: L.count },
      series: [
        { name: L.decided, type: "bar", barMaxWidth: 40, itemStyle: { color: BLUE },
          label: { show: true, position: "top" },
          data: rows.map(function (r) { return r.decided; }) },
        { name: L.in_progress, type: "bar", barMaxWidth: 40, label: { show: true, position: "top" },
          itemStyle: { color: TEAL },
          data: rows.map(function (r) {
            return { value: r.in_progress, itemStyle: { color: r.overdue > 0 ? RED : TEAL } };
          }) }
      ]
    });
  }

  function departments(data, L) {
    var rows = data.departments;
    return merge(base(), {
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label; }),
               axisLabel: { fontFamily: FONT, width: 220, overflow: "truncate" } },
      series: [
        { name: L.decided, type: "bar", barMaxWidth: 16, itemStyle: { color: BLUE },
          label: { show: true, position: "right" },
          data: rows.map(function (r) { return r.decided; }) },
        { name: L.in_progress, type: "bar", barMaxWidth: 16, itemStyle: { color: TEAL },
          label: { show: true, position: "right" },
          data: rows.map(function (r) { return r.in_progress; }) },
        { name: L.overdue, type: "bar", barMaxWidth: 16, itemStyle: { color: RED },
          label: { show: true, position: "right", formatter: function (p) { return p.value ? p.value : ""; } },
          data: rows.map(function (r) { return r.overdue; }) }
      ]
    });
  }

  function ratings(data, L) {
    var colours = ["#17713a", "#4e9a5f", "#9bbf6a", "#e08a00", "#c8161d"];
    var total = data.ratings.reduce(function (s, r) { return s + r.n; }, 0);
    var opt = merge(base(), {
      tooltip: { trigger: "item", renderMode: "richText", textStyle: { fontFamily: FONT } },
      legend: { bottom: 0, textStyle: { fontFamily: FONT } },
      series: [{
        type: "pie", radius: ["38%", "66%"], center: ["50%", "45%"], percentPrecision: 1,
        label: { formatter: "{b}\n{c}（{d}%）", fontFamily: FONT },
        data: data.ratings.filter(function (r) { return r.n > 0; }).map(function (r) {
          return { name: r.label, value: r.n, itemStyle: { color: colours[r.level - 1] } };
        })
      }]
    });
    if (!total) { opt.title = { text: L.empty, left: "center", top: "middle", textStyle: { color: GREY, fontFamily: FONT } }; }
    return opt;
  }

  function alerts(data, L) {
    var colour = { red: RED, decided_late: RED, missing_steps: RED, refused_no_reason: RED,
                   yellow: ORANGE, backdated: ORANGE, reminder: BLUE };
    var rows = data.alerts;
    return merge(base(), {
      legend: { show: false },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.label; }),
               axisLabel: { fontFamily: FONT } },
      series: [{ name: L.count, type: "bar", barMaxWidth: 18, label: { show: true, position: "right" },
                 data: rows.map(function (r) { return { value: r.n, itemStyle: { color: colour[r.kind] || GREY } }; }) }]
    });
  }

  var BUILDERS = { trend: trend, children: regions, departments: departments, ratings: ratings, alerts: alerts };
  var DRILL = { children: "children", departments: "departments" };

  function setView(key, table) {
    var chartEl = document.querySelector('[data-chart="' + key + '"]');
    var tableEl = document.querySelector('[data-table="' + key + '"]');
    var button = document.querySelector('[data-toggle="' + key + '"]');
    if (!chartEl || !tableEl) { return; }
    chartEl.hidden = table;
    tableEl.hidden = !table;
    if (button) {
      button.setAttribute("aria-pressed", table ? "true" : "false");
      button.textContent = table ? button.getAttribute("data-chart-label") : button.getAttribute("data-table-label");
    }
    if (!table && charts[key]) { charts[key].resize(); }
  }

  ready(function () {
    var blob = document.getElementById("stats-data");
    if (!blob || !window.echarts) { return; }
    var data = JSON.parse(blob.textContent);
    var L = data.labels;
    document.querySelectorAll("[data-toggle]").forEach(function (button) {
      var key = button.getAttribute("data-toggle");
      button.setAttribute("data-table-label", button.textContent);
      button.setAttribute("data-chart-label", button.getAttribute("data-chart-text") || L.chart);
      button.addEventListener("click", function () {
        setView(key, button.getAttribute("aria-pressed") !== "true");
      });
    });
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var key = el.getAttribute("data-chart");
      var build = BUILDERS[key];
      if (!build) { return; }
      if (key === "departments") { el.style.height = Math.max(260, data.departments.length * 44 + 70) + "px"; }
      setView(key, false);
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(data, L));
      charts[key] = chart;
      if (DRILL[key]) {
        chart.on("click", function (p) {
          var row = data[DRILL[key]][p.dataIndex];
          if (row && row.url) { window.location.href = row.url; }
        });
        chart.getZr().on("mousemove", function (e) {
          chart.getZr().setCursorStyle(e.target ? "pointer" : "default");
        });
      }
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
    window.statsDashboard = { charts: charts };
  });
})();
