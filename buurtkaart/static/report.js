// The report is computed by the server: when the next page takes longer than 2 seconds
// to come after the form is sent or a municipality chosen, say so (the pages work the
// same without this script).
(function () {
  function waiting() {
    var note = document.getElementById("report-progress");
    if (note) {
      window.setTimeout(function () { note.hidden = false; }, 2000);
    }
  }
  document.addEventListener("submit", function (event) {
    if (event.target.closest && event.target.closest("[data-report-form]")) waiting();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-report-link]")) waiting();
  });
  // back to a page from the browser's cache: no report is being computed
  window.addEventListener("pageshow", function () {
    var note = document.getElementById("report-progress");
    if (note) note.hidden = true;
  });
})();
