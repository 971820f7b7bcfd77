#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, lints, unit and integration tests
# (snapshot tests, bad-input tests, the YAML fuzz run) and the differential tests against PAT.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"
ensure_system
ensure_pat

cd "$here/.."
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
log "engine harness against PAT 1.6.3 (tests/engine)"
PYTHONDONTWRITEBYTECODE=1 "$PROWL_PAT_PYTHON" tests/engine/harness_api_test.py
PYTHONDONTWRITEBYTECODE=1 "$PROWL_PAT_PYTHON" tests/engine/harness_check.py
log "cargo test (PAT at $PROWL_PAT)"
cargo test --workspace
