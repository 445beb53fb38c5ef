/* buurtkaart map frames: loaded after Leaflet, before the map is made.
   - on a narrow screen the legend starts folded (its summary opens it); on a wide one the
     map is fitted so that no place lies under it;
   - popups fit the frame: no wider than it, panned clear of its edges;
   - the places' markers are buttons for the keyboard: Tab reaches them, their name is
     their tooltip's, Enter or Space opens the popup and Escape brings focus back. */
(function () {
  "use strict";
  var NARROW = "(max-width: 600px)";

  // A popup no wider and no taller than its frame leaves room for: clear of the zoom
  // buttons on the left, the banner at the top and the folded legend at the bottom.
  var popupOnAdd = L.Popup.prototype.onAdd;
  L.Popup.include({
    onAdd: function (map) {
      var size = map.getSize(), o = this.options;
      if (this._bkFull === undefined) { this._bkFull = [o.maxWidth, o.maxHeight || 320]; }
      if (size.x < 480 || size.y < 400) {
        var small = size.y < 400, top = small ? 10 : 60, bottom = small ? 10 : 100;
        o.maxWidth = Math.max(120, Math.min(this._bkFull[0], size.x - 120));
        o.maxHeight = Math.max(100, Math.min(this._bkFull[1], size.y - top - bottom - 60));
        o.autoPanPaddingTopLeft = L.point(60, top);
        o.autoPanPaddingBottomRight = L.point(10, bottom);
      }
      return popupOnAdd.call(this, map);
    }
  });

  function textOf(html) {
    var div = document.createElement("div");
    div.innerHTML = typeof html === "string" ? html : "";
    return div.textContent.trim();
  }

  function reachable(layer) {
    var cls = (layer.options && layer.options.className) || "";
    if (!(layer instanceof L.Path) || !/\bbk-(place|model-marker)\b/.test(cls)) { return; }
    var el = layer.getElement && layer.getElement();
    if (!el || el.getAttribute("tabindex") === "0" || !layer.getPopup()) { return; }
    var tooltip = layer.getTooltip();
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-haspopup", "dialog");
    if (tooltip) { el.setAttribute("aria-label", textOf(tooltip.getContent())); }
    var byKeys = false;  // opened from the keyboard: focus comes back when it closes
    el.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        byKeys = true;
        layer.openPopup();
        var popup = layer.getPopup().getElement();
        var first = popup && popup.querySelector(".leaflet-popup-content a[href]");
        (first || (popup && popup.querySelector(".leaflet-popup-close-button")) || el).focus();
      }
    });
    layer.on("popupclose", function () {
      if (byKeys) { byKeys = false; el.focus(); }
    });
  }

  function overlap(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // An open legend (a wide screen) must not lie over a place: the map is fitted again to
  // the places in the room right of the legend.
  function clearOfLegend(map) {
    var legend = document.getElementById("bk-legend");
    if (!legend || !legend.open) { return; }
    var box = legend.getBoundingClientRect(), covered = false, bounds = L.latLngBounds([]);
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.CircleMarker) || !layer.getElement() ||
          !/\bbk-place\b/.test(layer.options.className || "")) { return; }
      bounds.extend(layer.getLatLng());
      covered = covered || overlap(box, layer.getElement().getBoundingClientRect());
    });
    if (covered && bounds.isValid() && map.getSize().x - box.right > 300) {
      map.fitBounds(bounds, {paddingTopLeft: L.point(box.right + 20, 70),
                             paddingBottomRight: L.point(30, 30), animate: false});
    }
  }

  L.Map.addInitHook(function () {
    var map = this;
    map.on("layeradd", function (e) { setTimeout(function () { reachable(e.layer); }, 0); });
    map.on("keydown", function (e) {  // Escape in an open popup: back to its marker
      if (e.originalEvent.key === "Escape") { map.closePopup(); }
    });
    document.addEventListener("DOMContentLoaded", function () {
      map.eachLayer(reachable);
      var legend = document.getElementById("bk-legend");
      if (legend && window.matchMedia(NARROW).matches) { legend.open = false; }
      clearOfLegend(map);
    });
  });
}());
