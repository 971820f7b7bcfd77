#!/usr/bin/env python3
"""Materialise a variant of the demo workspace: base + one or more overlays.

    python3 tools/apply_overlays.py OUT_DIR [OVERLAY ...]

Copies ``base/`` to OUT_DIR (which must not exist), then, for each overlay
folder in order (``upstream-v2``, ``local``; relative to the demo folder or
absolute): copies every file except ``DELETED`` over OUT_DIR, and removes the
relative paths listed in the overlay's ``DELETED`` file (one per line, blank
lines ignored). Stdlib only.

Applying both overlays in sequence is a *naive* "theirs wins" overlay, not a
three-way merge: files changed on both sides simply take the last overlay's
version. Use it for ``base+upstream-v2`` and ``base+local``; the merged fork is
what Prowl's update/merge feature is meant to produce.
"""

import os
import shutil
import sys

DEMO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def apply_overlay(out_dir, overlay):
    for dirpath, _dirnames, filenames in os.walk(overlay):
        for name in filenames:
            src = os.path.join(dirpath, name)
            rel = os.path.relpath(src, overlay)
            if rel == "DELETED":
                continue
            dst = os.path.join(out_dir, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
    deleted = os.path.join(overlay, "DELETED")
    if os.path.exists(deleted):
        with open(deleted, encoding="utf-8") as handle:
            for line in handle:
                rel = line.strip()
                if not rel:
                    continue
                target = os.path.join(out_dir, rel)
                if os.path.exists(target):
                    os.remove(target)
                else:
                    print(f"warning: {rel} listed in {deleted} does not exist", file=sys.stderr)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = argv[1]
    if os.path.exists(out_dir):
        print(f"{out_dir} already exists", file=sys.stderr)
        return 1
    shutil.copytree(os.path.join(DEMO_ROOT, "base"), out_dir)
    for overlay in argv[2:]:
        path = overlay if os.path.isabs(overlay) else os.path.join(DEMO_ROOT, overlay)
        apply_overlay(out_dir, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
