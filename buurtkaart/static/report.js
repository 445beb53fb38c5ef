// The report is computed by the server: when that takes longer than 2 seconds after the
// form is sent, say so (the page works the same without this script).
document.addEventListener("submit", function (event) {
  if (!event.target.closest || !event.target.closest("[data-report-form]")) return;
  var note = document.getElementById("report-progress");
  if (note) {
    window.setTimeout(function () { note.hidden = false; }, 2000);
  }
});
