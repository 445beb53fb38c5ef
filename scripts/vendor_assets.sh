#!/usr/bin/env bash
# Reproduce buurtkaart/static/vendor/ from the npm registry. Run by a developer, never at
# install or run time: the files are committed so the app serves them with no network.
#
# Vendored: Leaflet 1.9.4 (BSD-2-Clause): dist/leaflet.js, dist/leaflet.css, dist/images/,
# LICENSE. No other front-end library is used: folium's CDN defaults (jQuery, Bootstrap,
# Font Awesome, awesome-markers) are replaced in buurtkaart/maps.py, and places are drawn as
# CircleMarkers, so no marker-cluster plugin or icon font is needed.
# SHA256SUMS records the files; tests/test_maps.py checks them.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$here/buurtkaart/static/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent leaflet@1.9.4 >/dev/null
tar xzf leaflet-1.9.4.tgz
dest="$vendor/leaflet"
rm -rf "$dest" && mkdir -p "$dest"
cp -r package/dist/leaflet.js package/dist/leaflet.css package/dist/images package/LICENSE "$dest/"
cd "$vendor"
find . -type f ! -name SHA256SUMS | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
echo "vendored Leaflet 1.9.4 into $dest"
