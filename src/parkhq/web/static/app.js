/* ParkHQ: draws every chart on the page from its JSON option block (no inline scripts). */
(function () {
  "use strict";
  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-chart"));
      if (!src) { return; }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(src.textContent));
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
