#!/usr/bin/env bash
# The desktop app end to end: builds the front end and the app, starts it under Xvfb through
# tauri-driver + WebKitWebDriver, and runs tests/e2e/desktop_e2e.py against it.
# Screenshots of each main view are kept in $PROWL_E2E_ARTIFACTS (default
# $PROWL_CACHE/e2e-artifacts, i.e. ~/.cache/prowl/e2e-artifacts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
# PAT's Python runs the test Panther server of the Deploy step (it has PyYAML).
ensure_pat
ensure_desktop_system
ensure_ui
ensure_tauri_driver
ensure_e2e_python

cd "$here/.."
log "building the desktop app and the CLI"
cargo build -q -p prowl-desktop -p rules-workspace
export PROWL_DESKTOP="$CARGO_TARGET_DIR/debug/prowl-desktop"
export PROWL_CLI="$CARGO_TARGET_DIR/debug/prowl"
export PROWL_E2E_ARTIFACTS="${PROWL_E2E_ARTIFACTS:-$PROWL_CACHE/e2e-artifacts}"
rm -rf "$PROWL_E2E_ARTIFACTS"
mkdir -p "$PROWL_E2E_ARTIFACTS"
# The app's test workers need a Python environment for the demo workspace: share the test one.
export PROWL_PYTHON_ENV="${PROWL_PYTHON_ENV:-$PROWL_CACHE/test-env}"
# An empty config folder: no folder is trusted, so the workspaces open in restricted mode, and
# the trust the test gives a folder never lands in the developer's own trust store.
PROWL_CONFIG="$(mktemp -d -t prowl-e2e-config.XXXXXX)"
export PROWL_CONFIG
trap 'rm -rf "$PROWL_CONFIG"' EXIT
# A fixed window for reproducible screenshots (no geometry remembered from earlier runs).
export PROWL_WINDOW_STATE=off
# The app as users get it: CPU rendering (it sets WEBKIT_DISABLE_COMPOSITING_MODE=1 itself
# unless PROWL_GPU=1), so no value from the caller's environment.
unset WEBKIT_DISABLE_COMPOSITING_MODE PROWL_GPU
# The Deploy step: the test Panther server's waits scaled down (polls, retries), and a Secret
# Service of the test's own for the profile's token (gnome-keyring in the D-Bus session below,
# its keyring files in a temporary folder, never the developer's).
export PROWL_REMOTE_TIME_SCALE=0.01
PROWL_E2E_KEYRING="$(mktemp -d -t prowl-e2e-keyring.XXXXXX)"
export PROWL_E2E_KEYRING
trap 'rm -rf "$PROWL_CONFIG" "$PROWL_E2E_KEYRING"' EXIT
"$PROWL_CLI" env sync "$here/../rules-workspace/demo/base" >/dev/null

log "end-to-end: the app under Xvfb, driven through WebDriver"
xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash -c '
  set -euo pipefail
  printf prowl-e2e | XDG_DATA_HOME="$PROWL_E2E_KEYRING" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  "$PROWL_TAURI_DRIVER_BIN" --port 4444 --native-port 4445 > "$PROWL_E2E_ARTIFACTS/tauri-driver.log" 2>&1 &
  driver=$!
  trap "kill $driver 2>/dev/null || true" EXIT
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/4444) 2>/dev/null && break
    sleep 0.1
  done
  PYTHONDONTWRITEBYTECODE=1 "$PROWL_E2E_PYTHON" tests/e2e/desktop_e2e.py
'
log "screenshots: $PROWL_E2E_ARTIFACTS"
