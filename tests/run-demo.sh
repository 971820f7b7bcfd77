#!/usr/bin/env bash
# Installs what is missing, builds Prowl (CLI and desktop app), writes the bundled demo
# workspace (a git repository with upstream history), runs the CLI on it, and opens the
# desktop app on it (when there is a display; otherwise it says how).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
ensure_uv
ensure_desktop_system
ensure_ui

cd "$here/.."
log "building prowl and the desktop app"
cargo build -q -p rules-workspace -p prowl-desktop
prowl="$CARGO_TARGET_DIR/debug/prowl"

demo="${PROWL_DEMO_DIR:-$PROWL_CACHE/demo-workspace}"
if [ ! -d "$demo/.git" ]; then
  "$prowl" demo "$demo"
fi
log "prowl validate $demo"
"$prowl" validate "$demo"
log "prowl list $demo"
"$prowl" list "$demo"
log "prowl env sync $demo (panther-core and friends from PyPI, first time only)"
"$prowl" env sync "$demo"
log "prowl test $demo"
"$prowl" test "$demo" || true   # the demo's tests pass; a failure is shown, not fatal here
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  log "opening the desktop app on $demo"
  exec "$prowl" app "$demo"
else
  log "no display: to open the desktop app, run on a desktop session: $prowl app $demo"
fi
