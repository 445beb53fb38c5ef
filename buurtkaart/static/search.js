/* buurtkaart search: suggestions while typing (an ARIA 1.2 combobox on /api/search) and
   "use my location". The form works without this file (a plain GET). */
(function () {
  "use strict";
  var TYPE_NAMES = {address: "address", street: "street", postcode: "postcode",
                    neighbourhood: "neighbourhood", municipality: "municipality",
                    place: "place", activity: "activity"};
  // messages in the page's language, from the form's data-msg-* (English without them)
  var MESSAGES = {suggestions: "{n} suggestions", suggestionsFor: "{n} suggestions for “{text}”",
                  choose: "use the arrow keys to choose", none: "No suggestions",
                  label: "Suggestions", finding: "Finding your position…",
                  denied: "You did not share your location.",
                  failed: "Your location could not be found.",
                  instead: "Type a street, an address or a postcode instead."};

  function message(form, key) {
    var attr = "msg" + key.charAt(0).toUpperCase() + key.slice(1);
    return form.dataset[attr] || MESSAGES[key];
  }

  function typeNames(form) {
    try { return JSON.parse(form.dataset.typeNames || "null") || TYPE_NAMES; }
    catch (e) { return TYPE_NAMES; }
  }

  function hidden(form, name) {
    var field = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      form.appendChild(field);
    }
    return field;
  }

  function setUpCombobox(form, input, counter) {
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", message(form, "label"));
    var names = typeNames(form);
    list.className = "suggestions";
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    var results = [], active = -1, timer = null, asked = "";

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      results = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(i) {
      var items = list.querySelectorAll('[role="option"]');
      active = i;
      for (var k = 0; k < items.length; k++) {
        items[k].setAttribute("aria-selected", k === i ? "true" : "false");
      }
      if (i >= 0 && items[i]) {
        input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(r) {
      if (r.type === "place" || r.type === "activity") {
        window.location.href = r.url;
        return;
      }
      input.value = r.detail ? r.label + ", " + r.detail : r.label;
      hidden(form, "at").value = r.id;
      close();
      form.submit();
    }

    function show(body) {
      list.innerHTML = "";
      results = body.results || [];
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = r.label;
        li.appendChild(label);
        var small = document.createElement("small");
        small.textContent = " " + (r.detail ? r.detail + " · " : "") + (names[r.type] || r.type);
        li.appendChild(small);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(r); });
        list.appendChild(li);
      });
      active = -1;
      var open = results.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      counter.textContent = open ? (body.corrected
        ? message(form, "suggestionsFor").replace("{text}", body.corrected)
        : message(form, "suggestions")).replace("{n}", results.length) +
        ", " + message(form, "choose") : message(form, "none");
    }

    function ask() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      if (q === asked) { return; }
      asked = q;
      fetch(input.dataset.suggest + "?limit=8&q=" + encodeURIComponent(q),
            {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {  // not when the box was left meanwhile: it would cover the form
          if (body && input.value.trim() === q && document.activeElement === input) { show(body); }
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      hidden(form, "at").value = "";
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (list.hidden) { asked = ""; ask(); return; }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight(Math.max(active - 1, -1));
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();
        choose(results[active]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function setUpLocation(form, input, button, status) {
    if (!button || !("geolocation" in navigator)) { return; }
    button.hidden = false;
    var privacy = form.querySelector(".privacy");  // said only where a position can be sent
    if (privacy) { privacy.hidden = false; }
    button.addEventListener("click", function () {
      status.textContent = message(form, "finding");
      navigator.geolocation.getCurrentPosition(function (pos) {
        hidden(form, "lon").value = pos.coords.longitude.toFixed(6);
        hidden(form, "lat").value = pos.coords.latitude.toFixed(6);
        hidden(form, "at").value = "";
        input.value = "";
        form.submit();
      }, function (err) {
        status.textContent = message(form, err && err.code === 1 ? "denied" : "failed") +
          " " + message(form, "instead");
        input.focus();
      }, {timeout: 15000, maximumAge: 60000});
    });
  }

  document.querySelectorAll("form[data-finder]").forEach(function (form) {
    var input = form.querySelector("input[data-suggest]");
    var counter = document.createElement("span");
    counter.className = "visually-hidden";
    counter.setAttribute("role", "status");
    form.appendChild(counter);
    if (input && window.fetch) { setUpCombobox(form, input, counter); }
    setUpLocation(form, input, form.querySelector(".use-location"),
                  form.querySelector(".location-status"));
  });
}());
