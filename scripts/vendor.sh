#!/bin/sh
# Copy the front-end libraries from node_modules into the portal's static files.
# onewindow/portal/static/vendor/ is generated (git-ignored); `make setup` runs this after `npm ci`.
set -eu
cd "$(dirname "$0")/.."
dest=onewindow/portal/static/vendor
mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$dest/echarts.min.js"
echo "vendored htmx and echarts into $dest"
