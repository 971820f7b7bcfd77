#!/usr/bin/env bash
# The Debian package on a fresh Debian 12: installs Prowl's .deb into a new bookworm system made
# with debootstrap (a chroot; root needed), then, inside it:
#   1. `apt install ./Prowl_*.deb` pulls every runtime dependency the package declares;
#   2. `prowl demo` + `prowl test` create the workspace's Python environment (python3.11 -m venv,
#      panther-core from PyPI) and pass every test;
#   3. `prowl-desktop` starts under Xvfb on that workspace: its window's web process comes up
#      and it starts its test worker (`prowl-worker`, embedded CPython from libpython3.11) in
#      the environment it found; a screenshot of the window is saved.
# Not part of the test command (it downloads a Debian system from the apt mirror: minutes).
#
#   bash tests/package-deb.sh                 # builds the .deb
#   sudo bash tests/deb-smoke.sh [DEB]        # default: the newest .deb in the target folder
# Environment: PROWL_SMOKE_ROOT (the chroot; default $PROWL_CACHE/deb-smoke, made afresh),
# PROWL_SMOKE_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup.sh
source "$here/setup.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "error: debootstrap and chroot need root; run it with sudo" >&2
  exit 2
fi
deb="${1:-$(ls -t "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb 2>/dev/null | head -1)}"
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
  echo "error: no .deb found; build one with: bash tests/package-deb.sh" >&2
  exit 2
fi
export PATH="$PATH:/usr/sbin:/sbin"
command -v debootstrap >/dev/null || apt_install debootstrap
mirror="${PROWL_SMOKE_MIRROR:-http://deb.debian.org/debian}"
root="${PROWL_SMOKE_ROOT:-$PROWL_CACHE/deb-smoke}"
artifacts="${PROWL_E2E_ARTIFACTS:-$PROWL_CACHE/e2e-artifacts}"

cleanup() {
  for m in dev/shm dev/pts dev proc sys; do
    mountpoint -q "$root/$m" && umount -l "$root/$m" || true
  done
}
trap cleanup EXIT

# Never through a mount that is still there (a bound /dev or /sys): refuse, and never cross
# into another file system.
remove_root() {
  cleanup
  if grep -q " $root/" /proc/mounts; then
    echo "error: mounts remain below $root; not removing it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$root"
}

remove_root
mkdir -p "$root" "$artifacts"
log "debootstrap bookworm (minbase) into $root from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 \
  || { tail -20 "$root.debootstrap.log" >&2; exit 1; }

# The machine's own network setup (name resolution, the certificate authorities it trusts),
# which any Debian installed here would have.
trust_like_the_host() {
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
}
cp /etc/resolv.conf /etc/hosts "$root/etc/"
trust_like_the_host
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mkdir -p "$root/dev/shm" && mount -t tmpfs shm "$root/dev/shm"
cp "$deb" "$root/root/prowl.deb"

in_root() { chroot "$root" /usr/bin/env HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

log "apt install ./prowl.deb (and Xvfb, to stand in for a desktop session)"
in_root apt-get update -q > /dev/null
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  /root/prowl.deb xvfb xauth dbus x11-apps netpbm > "$root.apt.log" 2>&1 \
  || { tail -30 "$root.apt.log" >&2; exit 1; }
trust_like_the_host # the ca-certificates package, just installed, rewrote the bundle
for bin in prowl prowl-desktop prowl-worker; do
  in_root test -x "/usr/bin/$bin" || { echo "error: /usr/bin/$bin is not installed" >&2; exit 1; }
done

log "prowl demo + prowl test (creates the Python environment from PyPI)"
in_root prowl demo /root/demo > /dev/null
in_root prowl test /root/demo > "$root.test.log" 2>&1 || { tail -30 "$root.test.log" >&2; exit 1; }
grep -E "(Passed|Failed|Skipped|Invalid):" "$root.test.log" | tail -4

log "prowl-desktop under Xvfb: the window, and a test worker in the environment it found"
in_root bash -c '
  set -euo pipefail
  export PROWL_WINDOW_STATE=off
  xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- bash -c "
    prowl-desktop /root/demo > /root/desktop.log 2>&1 &
    app=\$!
    worker=\"\"
    for _ in \$(seq 300); do
      worker=\$(pgrep -P \$app -x prowl-worker || true)
      web=\$(pgrep -f WebKitWebProcess || true)
      [ -n \"\$worker\" ] && [ -n \"\$web\" ] && break
      kill -0 \$app 2>/dev/null || { echo error: prowl-desktop exited >&2; cat /root/desktop.log >&2; exit 1; }
      sleep 0.1
    done
    [ -n \"\$worker\" ] || { echo error: no prowl-worker started >&2; cat /root/desktop.log >&2; exit 1; }
    [ -n \"\$web\" ] || { echo error: no WebKitWebProcess >&2; cat /root/desktop.log >&2; exit 1; }
    sleep 3
    kill -0 \$app || { echo error: prowl-desktop died >&2; exit 1; }
    echo \"prowl-desktop \$app up; worker \$worker: \$(tr \"\\0\" \" \" < /proc/\$worker/cmdline)\"
    xwd -root -silent | xwdtopnm 2>/dev/null | pnmtopng > /root/window.png
    kill \$app
    wait \$app || true
  "
'
cp "$root/root/window.png" "$artifacts/deb-smoke-window.png"
remove_root # 1.5 GB; kept when a step fails, for a look inside
log "the installed app ran; its window: $artifacts/deb-smoke-window.png"
