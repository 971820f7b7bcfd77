#!/usr/bin/env bash
# Installs what is missing, builds Prowl, writes the bundled demo workspace (a git repository
# with upstream history) and runs Prowl on it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system

cd "$here/.."
log "building prowl"
cargo build -q -p rules-workspace
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
"$prowl" test "$demo"
