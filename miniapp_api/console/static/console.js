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

  // --- the filing form: the server checks everything again; this only helps while typing ---
  var MONEY = /^\d+(\.\d{1,2})?$/;
  var RATIO = /^\d{1,3}(\.\d{1,2})?$/;
  var SHARED = /^共用\s*(.*?)\s*(单位)?食堂$/;

  function toHundredths(text) {  // "12.5" -> 1250, without floats
    var parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function checked(form, name) {
    var chosen = form.querySelector("input[name=" + name + "]:checked");
    return chosen ? chosen.value : "";
  }

  function problem(input, form) {
    var value = input.value.trim();
    var rule = input.dataset.check;
    if (rule === "required") return value ? "" : "请填写" + input.labels[0].textContent;
    if (rule === "money") {
      if (!value) return "请填写" + input.labels[0].textContent.replace("（元）", "");
      return MONEY.test(value) ? "" : "金额只能是数字和小数点，最多两位小数";
    }
    if (rule === "ratio") {
      if (!value) return "请填写比例";
      if (!RATIO.test(value)) return "比例只能是数字和小数点，最多两位小数";
      var hundredths = toHundredths(value);
      if (hundredths <= 0 || hundredths > 10000) return "比例须大于0且不超过100";
      var minimum = form.dataset.minRatio;
      if (input.name === "reserved_ratio" && minimum && hundredths < toHundredths(minimum)) {
        return "预留比例不能低于" + minimum + "%";
      }
      return "";
    }
    if (rule === "mobile") return /^1[3-9]\d{9}$/.test(value) ? "" : "联系人手机号须为11位手机号码";
    if (rule === "landline") {
      return !value || /^0\d{2,3}-\d{7,8}$/.test(value) ? "" : "固定电话须为“区号-号码”";
    }
    if (rule === "remark") {
      if (value.length > 50) return "备注最多50个字";
      if (checked(form, "has_canteen") !== "false") return "";
      if (value === "无食堂") return "";
      var shared = SHARED.exec(value);
      if (shared && shared[1]) return "";
      return "无食堂时备注须为“无食堂”或“共用XX单位食堂”";
    }
    return "";
  }

  function showProblem(input, form) {
    var text = input.disabled ? "" : problem(input, form);
    var place = form.querySelector("[data-error-for=" + input.name + "]");
    if (place) place.textContent = text;
    input.classList.toggle("invalid", Boolean(text));
  }

  function toggleSections(form) {
    form.querySelectorAll("[data-when]").forEach(function (section) {
      var rule = section.dataset.when.split("=");
      var shown = checked(form, rule[0]) === rule[1];
      section.hidden = !shown;
      section.querySelectorAll("input").forEach(function (input) { input.disabled = !shown; });
    });
  }

  function preview(form) {
    var place = form.querySelector("#share-preview");
    var total = form.querySelector("#canteen_total");
    var ratio = form.querySelector("#reserved_ratio");
    if (!place || !total || !ratio) return;
    if (!MONEY.test(total.value.trim()) || !RATIO.test(ratio.value.trim())) {
      place.textContent = "";
      return;
    }
    var fen = toHundredths(total.value.trim());
    var share = Math.round((fen * toHundredths(ratio.value.trim())) / 10000);
    place.textContent = "预留份额约 " + Math.floor(share / 100) + "." +
      String(share % 100).padStart(2, "0") + " 元（以保存结果为准）";
  }

  function watchFiling(form) {
    toggleSections(form);
    preview(form);
    form.addEventListener("input", function (event) {
      if (event.target.dataset.check) showProblem(event.target, form);
      preview(form);
    });
    form.addEventListener("change", function (event) {
      if (event.target.type === "radio") {
        toggleSections(form);
        var remark = form.querySelector("#remark");
        if (remark && remark.value) showProblem(remark, form);
      }
    });
  }

  // a second click on a form's button while it is being sent sends it again; the server acts once
  // per batch form anyway (its one-time key), this only spares the person a second round trip
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.method || "").toLowerCase() !== "post" || form.hasAttribute("hx-post")) return;
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    var filing = document.getElementById("filing-form");
    if (filing) watchFiling(filing);
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
