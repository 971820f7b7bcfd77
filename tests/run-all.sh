#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, lints, the engine harness against
# PAT, the front end's unit tests and type check, the Rust unit and integration tests (snapshot
# tests, bad-input tests, the YAML fuzz run, the differential tests against PAT, the desktop
# command layer, the cluster replay on a real Ray cluster on loopback), and the desktop app end to end under Xvfb (tests/run-e2e.sh; screenshots in
# ~/.cache/prowl/e2e-artifacts).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
ensure_uv
ensure_pat
ensure_desktop_system
ensure_ui
ensure_ray

cd "$here/.."
log "cargo fmt --check"
cargo fmt --all -- --check
log "front end: type check and unit tests (ui/)"
(cd ui && npm run --silent check && npm test --silent)
log "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
log "cargo doc (every public item documented, links resolve)"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p rules-workspace --no-deps
log "engine harness against PAT 1.6.3 (tests/engine)"
PYTHONDONTWRITEBYTECODE=1 "$PROWL_PAT_PYTHON" tests/engine/harness_api_test.py
PYTHONDONTWRITEBYTECODE=1 "$PROWL_PAT_PYTHON" tests/engine/harness_check.py
log "cargo test (PAT at $PROWL_PAT)"
cargo test --workspace
log "the PAT differential again, in an environment made by the pip fallback"
PROWL_INSTALLER=pip PROWL_PYTHON_ENV="$PROWL_CACHE/test-env-pip" \
  cargo test -q -p rules-workspace --test prowl_test_differential
log "desktop app end to end"
bash "$here/run-e2e.sh"
