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
  # libgit2's HTTPS transport builds against the system OpenSSL.
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  command -v git >/dev/null || missing+=(git)
  # Remote profiles keep their tokens in the Secret Service through libsecret's secret-tool;
  # the tests run a real one (gnome-keyring in its own D-Bus session) and make a TLS
  # certificate with openssl.
  command -v secret-tool >/dev/null || missing+=(libsecret-tools)
  command -v gnome-keyring-daemon >/dev/null || missing+=(gnome-keyring)
  command -v dbus-run-session >/dev/null || missing+=(dbus)
  command -v openssl >/dev/null || missing+=(openssl)
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

# uv (from PyPI, pinned) in Prowl's tool folder: Prowl makes workspaces' Python environments
# with it (one package cache shared by every workspace); without it Prowl falls back to pip.
ensure_uv() {
  local venv="$PROWL_CACHE/tools/uv" wanted="uv==0.13.9"
  if [ "$(cat "$venv/.prowl-ok" 2>/dev/null)" != "$wanted" ]; then
    log "installing $wanted from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$wanted"
    echo "$wanted" > "$venv/.prowl-ok"
  fi
  export PROWL_UV="$venv/bin/uv"
}

# Ray (from PyPI, pinned) in its own venv on CPython 3.11 (the Python of Prowl's workers): the
# cluster replay's tests start a real cluster on loopback with it, and drive it from it.
ensure_ray() {
  # boto3 lists s3:// sources in the driver; moto's server is the S3 of the tests.
  local venv="$PROWL_CACHE/ray-2.60" wanted="ray[default,client]==2.60.0 boto3==1.44.18 moto[server]==5.2.6"
  if [ "$(cat "$venv/.prowl-ok" 2>/dev/null)" != "$wanted with pip on Debian's python" ]; then
    log "installing $wanted from PyPI into $venv (once, about 300 MB)"
    rm -rf "$venv"
    # --seed: with pip, as a Ray installed by pip has (Ray builds runtime environments with it).
    # Debian's CPython 3.11: the interpreter Prowl's local workers embed (libpython3.11), so
    # the nodes and the local replay run the same build.
    local python=/usr/bin/python3.11
    [ -x "$python" ] || python=python3.11
    "$PROWL_UV" venv -q --seed --python "$python" "$venv"
    # shellcheck disable=SC2086
    "$PROWL_UV" pip install -q --python "$venv/bin/python" $wanted
    echo "$wanted with pip on Debian's python" > "$venv/.prowl-ok"
  fi
  export PROWL_RAY_PYTHON="$venv/bin/python"
  export PROWL_RAY="$venv/bin/ray"
  export PROWL_MOTO_SERVER="$venv/bin/moto_server"
}

# What the desktop app (Tauri 2 on WebKitGTK) needs to build, and its end-to-end tests to run.
ensure_desktop_system() {
  local missing=() pkg
  for pkg in libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev \
             librsvg2-dev xvfb xauth webkit2gtk-driver dbus; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

# The front end: npm packages (from the lock file, only when it changed) and the built files
# Tauri embeds (ui/dist).
ensure_ui() {
  local ui="$here/../ui" stamp
  stamp="$(sha256sum "$ui/package-lock.json" | cut -d' ' -f1)"
  if [ ! -d "$ui/node_modules" ] || [ "$(cat "$ui/node_modules/.prowl-lock" 2>/dev/null)" != "$stamp" ]; then
    log "npm ci (ui/)"
    (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$stamp" > "$ui/node_modules/.prowl-lock"
  fi
  log "building the front end (ui/dist)"
  (cd "$ui" && npm run --silent build)
}

# tauri-driver (WebDriver for Tauri apps), from crates.io, into the cache.
ensure_tauri_driver() {
  local root="$PROWL_CACHE/tools"
  if [ ! -x "$root/bin/tauri-driver" ]; then
    log "cargo install tauri-driver 2.1.0 (once, about 2 minutes)"
    cargo install -q tauri-driver@2.1.0 --locked --root "$root"
  fi
  export PROWL_TAURI_DRIVER_BIN="$root/bin/tauri-driver"
}

# A Python venv with the Selenium WebDriver client, from PyPI.
ensure_e2e_python() {
  local venv="$PROWL_CACHE/e2e-venv"
  # Selenium drives the app; Pillow takes the screenshots from the X server.
  local wanted="selenium==4.51.0 pillow==13.0.0"
  if [ "$(cat "$venv/.prowl-ok" 2>/dev/null)" != "$wanted" ]; then
    log "installing $wanted from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $wanted
    echo "$wanted" > "$venv/.prowl-ok"
  fi
  export PROWL_E2E_PYTHON="$venv/bin/python"
}
