#!/usr/bin/env bash
# Builds Prowl's Debian package (.deb) with Tauri's bundler (the npm package `@tauri-apps/cli`,
# fetched by npx; it is not in ui/'s lock file because its other platforms' binaries are not on
# every registry mirror, which would break `npm ci`). A release build: about 15 minutes on 2
# cores the first time. Not part of the test command.
#
# The package holds `prowl-desktop` and `prowl-worker`, its test worker (Tauri bundles every
# binary of the src-tauri package, in /usr/bin), and declares its runtime dependencies
# (WebKitGTK 4.1, GTK 3, libpython3.11, python3.11-venv). It carries no Python packages: on
# first use the app creates the workspace's environment with python3.11 and installs
# panther-core from PyPI, as `prowl env sync` does.
#
#   bash tests/package-deb.sh        # prints the path of the .deb
#   sudo apt install ./prowl_*.deb   # then: prowl-desktop [WORKSPACE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
ensure_desktop_system
ensure_ui

cd "$here/.."
log "tauri build --bundles deb (release)"
npx --yes @tauri-apps/cli@2.12.5 build --bundles deb
deb="$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)"
log "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb --contents "$deb" | grep -q '/usr/bin/prowl-worker$' \
  || { echo "error: $deb lacks /usr/bin/prowl-worker" >&2; exit 1; }
echo "$deb"
