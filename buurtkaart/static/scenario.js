/* buurtkaart scenarios: a click on the map puts a proposed place there; long work shows
   that it is working. The pages work without this file (plain GET forms). */
(function () {
  "use strict";

  function showWorking(form) {
    var box = form.querySelector(".working");
    if (!box) { return; }
    box.querySelector(".working-text").textContent = form.dataset.working || "";
    box.hidden = false;
    form.classList.add("is-working");
  }

  function targetSlot(form) {
    // the first proposed place without a point, else the last one
    var slots = form.querySelectorAll("fieldset.proposal");
    for (var i = 0; i < slots.length; i++) {
      if (!slots[i].querySelector('input[name$="_lon"]').value) { return slots[i]; }
    }
    return slots.length ? slots[slots.length - 1] : null;
  }

  function pick(form, lon, lat) {
    var slot = targetSlot(form);
    if (!slot) { return; }
    slot.querySelector('input[name$="_lon"]').value = lon.toFixed(6);
    slot.querySelector('input[name$="_lat"]').value = lat.toFixed(6);
    slot.querySelector('input[name$="_at"]').value = "";
    slot.querySelector(".proposal-address").value = "";
    var note = slot.querySelector(".picked");
    note.textContent = form.dataset.picked || "";
    slot.classList.add("has-pick");
    slot.scrollIntoView({block: "nearest"});
  }

  function watchFrame(frame) {
    var wrap = frame.parentNode, loading = wrap.querySelector(".map-loading");
    if (!loading) { return; }
    var done = false;
    frame.addEventListener("load", function () { done = true; loading.hidden = true; });
    // the map may already be there; otherwise say that it is coming
    try {
      if (frame.contentDocument && frame.contentDocument.readyState === "complete" &&
          frame.contentDocument.body && frame.contentDocument.body.childElementCount) {
        done = true;
      }
    } catch (e) { /* not readable yet */ }
    if (!done) { loading.hidden = false; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.bk-long");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (e) { showWorking(e.currentTarget); });
    }
    var frames = document.querySelectorAll(".map-wrap iframe");
    for (var j = 0; j < frames.length; j++) { watchFrame(frames[j]); }
    var form = document.querySelector("form.scenario-form");
    if (!form) { return; }
    window.addEventListener("message", function (e) {
      if (e.origin !== window.location.origin || !e.data || !e.data.bkScenarioPick) { return; }
      var p = e.data.bkScenarioPick;
      if (typeof p.lon === "number" && typeof p.lat === "number") { pick(form, p.lon, p.lat); }
    });
  });
})();
