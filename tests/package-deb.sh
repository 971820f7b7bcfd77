#!/usr/bin/env bash
# Builds Prowl's Debian package (.deb) with Tauri's bundler (the npm package `@tauri-apps/cli`,
# fetched by npx; it is not in ui/'s lock file because its other platforms' binaries are not on
# every registry mirror, which would break `npm ci`). A release build: about 15 minutes on 2
# cores the first time. Not part of the test command.
#
# The package holds `prowl-desktop`, `prowl-worker` (its test worker: Tauri bundles every binary
# of the src-tauri package), the `prowl` command line and `prowl-read` (the reader a replay on a
# Ray cluster ships to the nodes; the app and the CLI find it beside themselves), all in
# /usr/bin, and declares its runtime dependencies (WebKitGTK 4.1, GTK 3, libpython3.11,
# python3.11-venv). It carries no Python packages: on
# first use the app creates the workspace's environment with python3.11 and installs
# panther-core from PyPI, as `prowl env sync` does.
#
#   bash tests/package-deb.sh        # prints the path of the .deb
#   sudo apt install ./Prowl_*.deb   # then: prowl app [WORKSPACE], or prowl-desktop [WORKSPACE]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
ensure_desktop_system
ensure_ui

cd "$here/.."
log "the prowl command line and prowl-read (release)"
cargo build -q --release -p rules-workspace --bin prowl --bin prowl-read
log "tauri build --bundles deb (release)"
# The CLI and prowl-read are another package's binaries: added to the package as files, with
# their absolute paths (the target folder is outside the repository).
extra="{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/prowl\":\"$CARGO_TARGET_DIR/release/prowl\",\"/usr/bin/prowl-read\":\"$CARGO_TARGET_DIR/release/prowl-read\"}}}}}"
npx --yes @tauri-apps/cli@2.12.5 build --bundles deb --config "$extra"
deb="$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb | head -1)"
log "package: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
contents="$(dpkg-deb --contents "$deb")"
for bin in prowl-desktop prowl-worker prowl prowl-read; do
  grep -qE "[ /]usr/bin/$bin\$" <<< "$contents" \
    || { echo "error: $deb lacks /usr/bin/$bin" >&2; exit 1; }
done
echo "$deb"
