#!/usr/bin/env bash
# Fetch the console's JavaScript libraries from the npm registry (`npm pack`, no CDN) and put
# them under miniapp_api/console/static/vendor/, with VERSIONS.md naming versions and licences.
# The fetched files are committed: the console works without any network (government networks,
# the demo). Run again after changing a version below, then commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX_VERSION=2.0.11
ECHARTS_VERSION=6.1.0
vendor=miniapp_api/console/static/vendor
work=$(mktemp -d /tmp/console-assets.XXXXXX)
trap 'rm -rf "$work"' EXIT

fetch() {  # package version file-in-package target-name
  local package=$1 version=$2 file=$3 target=$4
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  local tarball
  tarball=$(ls "$work"/*"$version".tgz)
  mkdir -p "$work/$package"
  tar -xzf "$tarball" -C "$work/$package"
  cp "$work/$package/package/$file" "$vendor/$target"
  cp "$work/$package/package/LICENSE" "$vendor/$target.LICENSE"
  rm "$tarball"
}

mkdir -p "$vendor"
fetch htmx.org "$HTMX_VERSION" dist/htmx.min.js htmx.min.js
fetch echarts "$ECHARTS_VERSION" dist/echarts.min.js echarts.min.js

cat > "$vendor/VERSIONS.md" <<MD
# Vendored JavaScript for the console

Fetched from the npm registry by \`scripts/fetch_console_assets.sh\`; do not edit by hand.

| file | package | version | licence |
| --- | --- | --- | --- |
| htmx.min.js | htmx.org | $HTMX_VERSION | 0BSD (htmx.min.js.LICENSE) |
| echarts.min.js | echarts (Apache ECharts) | $ECHARTS_VERSION | Apache-2.0 (echarts.min.js.LICENSE) |
MD
echo "fetched htmx.org $HTMX_VERSION and echarts $ECHARTS_VERSION into $vendor"
