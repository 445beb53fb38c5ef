#!/usr/bin/env bash
# Reproduce buurtkaart/static/vendor/ from the npm registry (run by a developer, not at install:
# the files are committed so the app serves them with no network).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
cd "$tmp"
npm pack --silent leaflet@1.9.4
tar xzf leaflet-1.9.4.tgz
dest="$here/buurtkaart/static/vendor/leaflet"
rm -rf "$dest" && mkdir -p "$dest"
cp -r package/dist/leaflet.js package/dist/leaflet.css package/dist/images package/LICENSE "$dest/"
echo "vendored Leaflet 1.9.4 into $dest"
