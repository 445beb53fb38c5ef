// "Working on it…" while a page computes (travel times, rankings, suggested locations):
// an element [data-busy] (role=status, aria-live) is shown while the map frame named by
// data-busy-frame loads, and after a form marked data-busy-form is sent. Without
// JavaScript nothing is shown and the page works the same.
(function () {
  var status = document.querySelector("[data-busy]");
  if (!status) { return; }
  function show() { status.hidden = false; status.textContent = status.getAttribute("data-busy"); }
  function hide() { status.hidden = true; status.textContent = ""; }
  var frame = document.getElementById(status.getAttribute("data-busy-frame") || "");
  if (frame) {
    var loaded = false;
    try {
      var doc = frame.contentDocument;
      loaded = !!doc && doc.readyState === "complete" && doc.URL !== "about:blank";
    } catch (e) { loaded = false; }
    if (!loaded) { show(); }
    frame.addEventListener("load", hide);
  }
  document.querySelectorAll("form[data-busy-form], form.filters").forEach(function (form) {
    form.addEventListener("submit", show);
  });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { hide(); } });
})();
