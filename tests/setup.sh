#!/usr/bin/env bash
# Installs what Prowl's build and tests need and is missing, then exports the paths they use.
# Sourced by run-demo.sh and run-all.sh; safe to run again (each step checks before it acts).
#
#   PROWL_CACHE        where Prowl keeps build output and tool environments (~/.cache/prowl)
#   CARGO_TARGET_DIR   cargo's output, outside the clone so CI builds stay incremental
#   PROWL_PAT          PAT 1.6.3 (installed from PyPI into its own venv) for differential tests
set -euo pipefail

PROWL_CACHE="${PROWL_CACHE:-$HOME/.cache/prowl}"
export PROWL_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PROWL_CACHE/target}"
mkdir -p "$PROWL_CACHE"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  log "installing system packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

ensure_system() {
  local missing=()
  command -v cc >/dev/null || missing+=(build-essential)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  command -v git >/dev/null || missing+=(git)
  command -v python3 >/dev/null || missing+=(python3)
  if command -v python3 >/dev/null && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing+=(python3-venv)
  fi
  # Prowl embeds Debian's CPython 3.11 (pyo3 links its shared libpython; the managed
  # environments are made with the same interpreter).
  [ -x /usr/bin/python3.11 ] || missing+=(python3.11)
  ls /usr/lib/*/libpython3.11.so >/dev/null 2>&1 || missing+=(python3.11-dev)
  if [ ! -x /usr/bin/python3.11 ] || ! /usr/bin/python3.11 -c 'import venv, ensurepip' 2>/dev/null; then
    missing+=(python3.11-venv)
  fi
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || missing+=(cargo rustc)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
  local rustc_minor
  rustc_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
  if [ "${rustc_minor:-0}" -lt 85 ]; then
    echo "error: Prowl needs Rust 1.85 or newer; this machine has $(rustc --version)" >&2
    echo "hint: install a newer toolchain, then run this again" >&2
    exit 2
  fi
}

# PAT 1.6.3 with panther-core 0.16.2 (what panther-analysis pins), for the differential tests.
ensure_pat() {
  local venv="$PROWL_CACHE/pat-1.6.3"
  if [ ! -x "$venv/bin/pat" ] || [ ! -f "$venv/.prowl-ok" ]; then
    log "installing panther-analysis-tool 1.6.3 from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
      "panther-analysis-tool==1.6.3" "panther-core==0.16.2"
    touch "$venv/.prowl-ok"
  fi
  export PROWL_PAT="$venv/bin/pat"
  export PROWL_PAT_PYTHON="$venv/bin/python"
}
