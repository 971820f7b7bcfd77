"""What the benchmark scripts in this folder share: paths, progress output, the prowl binary,
the workspace listing, the Python environment check, the default detection and verdicts, the
process table. Standard library only; imported by bench_validate.py, bench_test.py,
bench_desktop.py and tests/e2e/desktop_e2e.py."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CACHE = os.environ.get("PROWL_CACHE", os.path.expanduser("~/.cache/prowl"))


def process_table():
    """{pid: (ppid, command name, command line)} for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        # The command name (field 2) may hold spaces and parentheses; the ppid follows the last ')'.
        comm = stat[stat.index(b"(") + 1 : stat.rindex(b")")].decode("utf-8", "replace")
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        args = [a.decode("utf-8", "replace") for a in cmdline if a]
        table[int(name)] = (ppid, comm, args)
    return table


def descendants(root, table):
    """Every PID below `root` in a `process_table()`."""
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def progress(message):
    """Progress goes to stderr, so that stdout holds the results only."""
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)


def prowl_binary():
    """$PROWL_BIN, or the release `prowl` built now (incrementally)."""
    if os.environ.get("PROWL_BIN"):
        return os.environ["PROWL_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(CACHE, "target"))
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "rules-workspace"],
        cwd=REPO,
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": target},
    )
    return os.path.join(target, "release", "prowl")


def workspace_items(binary, workspace, env):
    """The workspace's items, as `prowl list --format json` gives them."""
    out = subprocess.run([binary, "list", workspace, "--format", "json"], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"`prowl list {workspace}` failed:\n{out.stderr}")
    return json.loads(out.stdout)


def ensure_env(binary, workspace, env, quiet=False):
    """The test workers need the workspace's Python environment (`prowl test` would create it
    on first use, about 30 s with PyPI); synced here, untimed, when `prowl env check` finds it
    missing, so that no timed run includes it."""
    check = subprocess.run([binary, "env", "check", workspace], capture_output=True, text=True, env=env)
    if check.returncode != 0:
        progress(f"  prowl env sync {workspace} (the environment is missing; needs PyPI)")
        # --yes: a benchmark runs on a checkout the user chose to measure.
        subprocess.run([binary, "env", "sync", workspace, "--yes"], check=True, env=env,
                       stdout=subprocess.DEVNULL if quiet else None)


def first_python_rule(items):
    """The default detection to time: the first enabled Python rule with tests, by ID."""
    rules = sorted(
        (i for i in items if i["analysis_type"] == "rule" and i["tests"] and i.get("code_path")),
        key=lambda i: (not i.get("enabled"), i["id"]),
    )
    if not rules:
        sys.exit("no Python rule with tests in the workspace; pass --detection ID")
    return rules[0]


def verdict(met):
    return "met" if met else "MISSED"
