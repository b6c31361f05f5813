/* ParkHQ: draws every chart on the page from its JSON option block (no inline scripts). */
(function () {
  "use strict";
  /* A legend under a title must not overlap it: push the legend (and the plot) down. */
  function layout(option) {
    var legends = option.legend ? [].concat(option.legend) : [];
    if (option.title && legends.length) {
      legends.forEach(function (lg) {
        if (lg.bottom === undefined && (lg.top === undefined || (typeof lg.top === "number" && lg.top < 36))) {
          lg.top = 36;
        }
      });
      [].concat(option.grid || []).forEach(function (g) {
        if (g && typeof g.top === "number" && g.top < 80) { g.top = 80; }
      });
    }
    return option;
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(layout(JSON.parse(src.textContent)));
      el.setAttribute("data-chart-ready", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

/* Filterable tables: <input data-filter-for="TABLE_ID"> (text) and <select data-severity-for="TABLE_ID">. */
(function () {
  "use strict";
  function apply(tableId) {
    var table = document.getElementById(tableId);
    if (!table) { return; }
    var text = document.querySelector('[data-filter-for="' + tableId + '"]');
    var sev = document.querySelector('[data-severity-for="' + tableId + '"]');
    var needle = text ? text.value.trim().toLowerCase() : "";
    var level = sev ? sev.value : "";
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var okText = !needle || row.textContent.toLowerCase().indexOf(needle) >= 0;
      var okSev = !level || row.getAttribute("data-severity") === level;
      row.hidden = !(okText && okSev);
    });
  }
  document.addEventListener("input", function (e) {
    var id = e.target.getAttribute && (e.target.getAttribute("data-filter-for") || e.target.getAttribute("data-severity-for"));
    if (id) { apply(id); }
  });
  document.addEventListener("change", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-severity-for");
    if (id) { apply(id); }
  });
})();
