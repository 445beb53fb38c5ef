// Tables wider than a phone screen scroll sideways; a keyboard user can scroll them only
// when they take focus, so those (and only those) join the tab order.
(function () {
  "use strict";
  function reachable() {
    document.querySelectorAll("table.table, .table-wrap").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") {
        el.tabIndex = 0;
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", reachable);
  window.addEventListener("resize", reachable);
}());
