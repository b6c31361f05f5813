/* 亩均评价: live preview of a rule set, the explanation drawer (no inline scripts: CSP). */
(function () {
  "use strict";

  function csrfToken() {
    var el = document.querySelector('input[name="csrf_token"]');
    return el ? el.value : "";
  }

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "—" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  /* --- rule-set editor: POST the YAML to the preview API, show counts and a chart --- */
  function setupPreview() {
    var area = document.getElementById("rule-yaml");
    if (!area) { return; }
    var status = document.getElementById("preview-status");
    var body = document.querySelector("#preview-table tbody");
    var chartEl = document.getElementById("preview-chart");
    var year = document.getElementById("preview-year");
    var scope = document.getElementById("preview-scope");
    var timer = null;
    var seq = 0;
    var chart = null;

    function draw(counts) {
      if (typeof echarts === "undefined" || !chartEl) { return; }
      var segments = [], grades = [], table = {};
      counts.forEach(function (c) {
        if (segments.indexOf(c.segment) < 0) { segments.push(c.segment); }
        if (grades.indexOf(c.grade) < 0) { grades.push(c.grade); }
        table[c.segment + "\u0000" + c.grade] = c.firms;
      });
      chart = chart || echarts.init(chartEl, null, { renderer: "canvas" });
      chart.setOption({
        title: { text: "试算等级分布（家）", left: "center" },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 28 },
        grid: { top: 66, left: 44, right: 16, bottom: 30 },
        xAxis: { type: "category", data: segments },
        yAxis: { type: "value" },
        series: grades.map(function (g) {
          return { name: g, type: "bar", stack: "g", data: segments.map(function (s) { return table[s + "\u0000" + g] || 0; }) };
        })
      }, true);
      chartEl.setAttribute("data-chart-ready", "1");
    }

    function show(ok, message, counts) {
      status.textContent = message;
      status.className = ok ? "notice" : "error";
      body.innerHTML = "";
      (counts || []).forEach(function (c) {
        var tr = document.createElement("tr");
        tr.appendChild(text("td", c.segment));
        tr.appendChild(text("td", c.grade));
        tr.appendChild(text("td", c.firms, "num"));
        body.appendChild(tr);
      });
      if (counts && counts.length) { draw(counts); }
    }

    function run() {
      var mine = ++seq;
      status.textContent = "试算中…";
      status.className = "hint";
      fetch(area.getAttribute("data-preview-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ yaml_text: area.value, year: Number(year.value), scope_code: scope.value })
      }).then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
      }).then(function (r) {
        if (mine !== seq) { return; }
        if (!r.ok) { show(false, r.data.message || "试算失败", []); return; }
        var d = r.data;
        var msg = d.title + "（" + d.name + " " + d.version + "）· " + d.area + " " + d.year + " 年：" + d.message;
        if (d.benchmark_note) { msg += "；" + d.benchmark_note; }
        show(true, msg, d.counts);
      }).catch(function () {
        if (mine === seq) { show(false, "试算请求失败，请检查网络后重试", []); }
      });
    }

    function schedule() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(run, 600);
    }
    area.addEventListener("input", schedule);
    year.addEventListener("change", schedule);
    scope.addEventListener("change", schedule);
    if (area.value.trim()) { run(); }
  }

  /* --- explanation drawer on the run page --- */
  function setupDrawer() {
    var drawer = document.getElementById("explain-drawer");
    if (!drawer) { return; }
    var target = document.getElementById("explain-body");

    function render(d) {
      target.innerHTML = "";
      target.appendChild(text("h2", d.name));
      var facts = document.createElement("p");
      facts.textContent = "等级 " + d.grade + " · 总分 " + fmt(d.total) + (d.rank ? " · " + (d.segment || "") + "组第 " + d.rank + "/" + d.segment_size + " 名" : "");
      facts.id = "drawer-grade";
      target.appendChild(facts);
      var table = document.createElement("table");
      table.className = "data";
      var head = document.createElement("tr");
      ["指标", "值", "基准", "权重", "得分"].forEach(function (h) { head.appendChild(text("th", h)); });
      var thead = document.createElement("thead");
      thead.appendChild(head);
      table.appendChild(thead);
      var tbody = document.createElement("tbody");
      var why = "";
      d.entries.forEach(function (e) {
        if (e.kind === "grade") { why = e.text; return; }
        var tr = document.createElement("tr");
        if (e.kind === "indicator") {
          tr.appendChild(text("td", e.label));
          tr.appendChild(text("td", fmt(e.value, 4), "num"));
          tr.appendChild(text("td", e.benchmark !== undefined ? fmt(e.benchmark, 4) : (e.min !== undefined ? fmt(e.min, 3) + "–" + fmt(e.max, 3) : "—"), "num"));
          tr.appendChild(text("td", fmt(e.weight), "num"));
          tr.appendChild(text("td", fmt(e.score), "num"));
          tr.title = e.text;
        } else if (e.kind === "bonus") {
          tr.appendChild(text("td", e.label));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", fmt(e.points), "num"));
        } else if (e.kind === "total") {
          tr.className = "total-row";
          tr.appendChild(text("td", "总分"));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", ""));
          tr.appendChild(text("td", fmt(e.total), "num"));
        }
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      target.appendChild(table);
      var p = text("p", why || d.explanation, "grade-why");
      p.id = "drawer-why";
      target.appendChild(p);
    }

    document.addEventListener("click", function (e) {
      var btn = e.target.closest ? e.target.closest("[data-explain]") : null;
      if (btn) {
        drawer.hidden = false;
        target.textContent = "加载中…";
        fetch(btn.getAttribute("data-explain"), { credentials: "same-origin" })
          .then(function (resp) { return resp.json().then(function (d) { return { ok: resp.ok, d: d }; }); })
          .then(function (r) {
            if (!r.ok) { target.textContent = r.d.message || "加载失败"; return; }
            render(r.d);
          })
          .catch(function () { target.textContent = "加载失败，请重试"; });
        return;
      }
      if (e.target.closest && e.target.closest("[data-close-drawer]")) { drawer.hidden = true; }
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") { drawer.hidden = true; } });
  }

  function start() { setupPreview(); setupDrawer(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
