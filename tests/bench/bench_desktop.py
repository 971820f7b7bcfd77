#!/usr/bin/env python3
"""Benchmark: the desktop app (prowl-desktop) as a user meets it, driven through WebDriver.

On two workspaces, the demo one (`prowl demo DIR`) and a panther-analysis-sized generated one
(generate_workspace.py, made a git repository like a real checkout), measures:
  - launch:     from just before the WebDriver session is requested (the request starts the app)
                to an interactive explorer: `explorer-item` elements shown, then a detection's ID
                typed into the explorer search and the list narrowed to it. Repeated --runs times
                (a new app each time); the median is reported, with the page's own clock at the
                same moments (`performance.now()`: time since the page's navigation started);
  - test re-run: in the last launched app, one detection opened and its tests run once to warm
                up, then --test-runs times: Ctrl+Enter (the app's "run the open detection's
                tests" shortcut, sent with the focus in its code editor) until the new result is
                on screen. "New" is the status bar's last-run button: the app replaces it with
                the progress bar while a run goes and puts a fresh one back when the report is
                in. Three figures per run: wall time from the key press as the benchmark sends
                it (WebDriver round trips included), the page's time from the keydown event to
                that DOM change, and the run time the app reports (the Test results panel's
                "N passed, M failed · X ms", i.e. the report's elapsed_ms; the counts are of
                detections, so that text alone may not change from one run to the next);
  - memory:     VmRSS of every process of the app (prowl-desktop, its `prowl-worker` test
                workers, the WebKitWebProcess / WebKitNetworkProcess it starts, anything else
                below it), each listed with its Pss too, after the timed runs; then the peak of
                the VmRSS sum, sampled every 50 ms, while every test of the workspace runs
                (command palette, "Tests: Run all tests in the workspace"; --no-full-run skips
                it). Pages that processes share count once in VmRSS for each of them, so its
                sums are upper bounds (as in bench_test.py); Pss shares them out.
The detection is the first enabled Python rule with tests (by ID), or --detection ID in each
workspace that has it. Prints a table with medians, p90 and the targets of the issue. Timings
are never asserted anywhere.

The app runs as in tests/run-e2e.sh: under `xvfb-run -a -s "-screen 0 1440x900x24"
dbus-run-session` (this script re-executes itself so when DISPLAY is unset), through
tauri-driver and WebKitWebDriver; the script starts its own tauri-driver on ports 4544/4545 so
that an end-to-end run on 4444/4445 is left alone. The app gets a private cache folder
(PROWL_CACHE, in the temporary folder: recent workspaces, window state, recovery copies) so the
user's own is left alone, and a fixed window (PROWL_WINDOW_STATE=off).

    ~/.cache/prowl/e2e-venv/bin/python tests/bench/bench_desktop.py [--quick] [--runs N]
                              [--test-runs N] [--detection ID] [--no-full-run] [--keep]
                              [--real REF]   # panther-analysis at REF (PROWL_PANTHER_ANALYSIS)
Environment: PROWL_DESKTOP (the app; default <target>/debug/prowl-desktop), PROWL_BIN (the prowl
CLI, to write and list the workspaces; default the release build, else the debug one: nothing
is built here), PROWL_TAURI_DRIVER_BIN (default ~/.cache/prowl/tools/bin/tauri-driver),
PROWL_PYTHON_ENV (the test workers' Python environment; default ~/.cache/prowl/test-env).
"""
import argparse
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import CACHE, descendants, first_python_rule, process_table, progress, verdict, workspace_items  # noqa: E402
from benchlib import ensure_env as _ensure_env  # noqa: E402

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.join(CACHE, "target"))

# Targets from the issue: an interactive explorer within 1.5 s of launch, a warm re-run of one
# detection's tests within 150 ms, all of the app's processes together within 300 MB.
TARGET_LAUNCH_MS = 1500.0
TARGET_RERUN_MS = 150.0
TARGET_MEMORY_MB = 300.0

# The generated workspace: panther-analysis scale by default, a small one for --quick
# (the same sizes as bench_test.py).
FULL_SIZE = []  # generate_workspace.py's defaults
QUICK_SIZE = ["--detections", "100", "--scheduled", "10", "--globals", "10", "--data-models", "10"]

# Our own tauri-driver: not 4444/4445, which tests/run-e2e.sh uses.
DRIVER_PORT, NATIVE_PORT = 4544, 4545
XVFB_SCREEN = "-screen 0 1440x900x24"
WRAPPED = "PROWL_BENCH_DESKTOP_WRAPPED"  # what this script re-executed itself under, if anything
STDOUT_FD = "PROWL_BENCH_DESKTOP_STDOUT"  # the caller's stdout, kept for the results meanwhile

POLL = 0.02  # seconds between two looks at the page while waiting for it
MEMORY_INTERVAL = 0.05
DETECTION_TYPES = ("rule", "scheduled_rule", "policy")  # what Ctrl+Enter runs (App.svelte)


def ensure_env(cli, workspace, env):
    _ensure_env(cli, workspace, env, quiet=True)


def tid(name, extra=""):
    return f'[data-testid="{name}"]{extra}'


# --- the display, the binaries and tauri-driver ----------------------------------------------


def ensure_display():
    """Re-executes this script under Xvfb and a D-Bus session (as tests/run-e2e.sh runs the
    app) when there is no display, or under a D-Bus session only when there is no bus.
    The daemons these start print to their stdout (the accessibility bus's "SpiRegistry daemon
    is running"): they get stderr as stdout, and the results go to the caller's stdout, passed
    down as another descriptor."""
    if os.environ.get(WRAPPED):
        if not os.environ.get("DISPLAY"):
            sys.exit("still no DISPLAY under xvfb-run; is Xvfb installed?")
        fd = os.environ.pop(STDOUT_FD, None)
        if fd:
            try:
                os.dup2(int(fd), 1)
                os.close(int(fd))
            except OSError:
                pass  # not passed down: the results share stdout with the daemons
        return
    if not os.environ.get("DISPLAY"):
        for tool in ("xvfb-run", "dbus-run-session"):
            if not shutil.which(tool):
                sys.exit(f"{tool} not found (tests/setup.sh's ensure_desktop_system installs it)")
        wrapper = ["xvfb-run", "-a", "-s", XVFB_SCREEN, "dbus-run-session", "--"]
        what = f"xvfb-run ({XVFB_SCREEN}) and dbus-run-session"
    elif not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and shutil.which("dbus-run-session"):
        wrapper, what = ["dbus-run-session", "--"], "dbus-run-session"
    else:
        return  # the caller's display and bus
    sys.stdout.flush()
    stdout = os.dup(1)
    os.set_inheritable(stdout, True)
    os.dup2(2, 1)
    env = {**os.environ, WRAPPED: what, STDOUT_FD: str(stdout)}
    os.execvpe(wrapper[0], [*wrapper, sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


def desktop_binary():
    path = os.environ.get("PROWL_DESKTOP", os.path.join(TARGET_DIR, "debug", "prowl-desktop"))
    if not os.access(path, os.X_OK):
        sys.exit(f"prowl-desktop not found at {path}: build it (cargo build -p prowl-desktop) or set PROWL_DESKTOP")
    return path


def cli_binary():
    """The prowl CLI, only to write and list workspaces: nothing is built here."""
    if os.environ.get("PROWL_BIN"):
        return os.environ["PROWL_BIN"]
    for profile in ("release", "debug"):
        path = os.path.join(TARGET_DIR, profile, "prowl")
        if os.access(path, os.X_OK):
            return path
    sys.exit(f"no prowl binary in {TARGET_DIR}/{{release,debug}}: build one or set PROWL_BIN")


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class TauriDriver:
    """Our own tauri-driver (it starts WebKitWebDriver, which starts the app for each session)."""

    def __init__(self, log_path):
        binary = os.environ.get("PROWL_TAURI_DRIVER_BIN", os.path.join(CACHE, "tools", "bin", "tauri-driver"))
        if not os.access(binary, os.X_OK):
            sys.exit(f"tauri-driver not found at {binary} (tests/setup.sh's ensure_tauri_driver installs it)")
        for port in (DRIVER_PORT, NATIVE_PORT):
            if port_open(port):
                sys.exit(f"port {port} is in use; is another bench_desktop.py running?")
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--port", str(DRIVER_PORT), "--native-port", str(NATIVE_PORT)],
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole at the end
        )
        deadline = time.monotonic() + 10
        while not port_open(DRIVER_PORT):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"tauri-driver did not start; see {log_path}")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{DRIVER_PORT}"

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # tauri-driver's group: it and the WebKitWebDriver it started
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


# --- processes and their memory --------------------------------------------------------------


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0  # gone, or a kernel thread


def memory_details(pid):
    """{VmRSS, RssAnon, RssFile, RssShmem, Pss} in kB. Pss (smaps_rollup) splits each shared
    page between the processes that map it: its sum is the fair figure, VmRSS's an upper bound."""
    out = {}
    for path, keys in ((f"/proc/{pid}/status", (b"VmRSS:", b"RssAnon:", b"RssFile:", b"RssShmem:")),
                       (f"/proc/{pid}/smaps_rollup", (b"Pss:",))):
        try:
            with open(path, "rb") as f:
                for line in f:
                    if line.startswith(keys):
                        out[line.split(b":")[0].decode()] = int(line.split()[1])
        except OSError:
            pass
    return out


def process_start(pid):
    """When the process started, in seconds on CLOCK_BOOTTIME (/proc's clock-tick resolution)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    ticks = int(stat[stat.rindex(b")") + 2 :].split()[19])  # field 22, starttime
    return ticks / os.sysconf("SC_CLK_TCK")


def app_processes(driver_pid, desktop):
    """[(pid, role)] of the app: every process below tauri-driver except tauri-driver's own
    WebKitWebDriver, i.e. prowl-desktop and everything it started (workers, WebKit's processes)."""
    table = process_table()
    name = os.path.basename(desktop)[:15]  # /proc's command names are cut at 15 characters
    out = []
    for pid in descendants(driver_pid, table):
        _, comm, args = table[pid]
        if comm == "WebKitWebDriver":
            continue
        if comm == "prowl-worker":
            role = "prowl-worker"
        elif comm == name or (args and os.path.basename(args[0]) == os.path.basename(desktop)):
            role = "prowl-desktop worker" if len(args) > 1 and args[1] == "worker" else "prowl-desktop"
        else:
            role = os.path.basename(args[0]) if args else comm  # comm is cut: "WebKitNetworkPr"
        out.append((pid, role))
    return sorted(out)


def memory_snapshot(driver_pid, desktop):
    """[(pid, role, RSS kB)] of the app's processes now."""
    return [(pid, role, rss_kb(pid)) for pid, role in app_processes(driver_pid, desktop)]


def main_process(driver_pid, desktop):
    """The app's own process (prowl-desktop, not a worker), or None."""
    return next((pid for pid, role in app_processes(driver_pid, desktop) if role == "prowl-desktop"), None)


class PeakSampler:
    """Samples the sum of the app's VmRSS every 50 ms in a thread; .peak is the largest seen."""

    def __init__(self, driver_pid, desktop):
        self.peak_kb, self.peak_procs = 0, []
        self.stop_flag = threading.Event()

        def sample():
            while not self.stop_flag.is_set():
                procs = memory_snapshot(driver_pid, desktop)
                total = sum(p[2] for p in procs)
                if total > self.peak_kb:
                    self.peak_kb, self.peak_procs = total, procs
                self.stop_flag.wait(MEMORY_INTERVAL)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_flag.set()
        self.thread.join()


def alive(pid):
    """Whether the process runs (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"


def quit_app(app, driver_pid, desktop, timeout=15):
    """Ends the session and waits for every process of the app to exit (a straggler would skew
    the next launch). Its processes are noted first: once the app is gone its children belong
    to init, out of tauri-driver's tree. Any left after `timeout` is ended, by PID."""
    pids = [pid for pid, _ in app_processes(driver_pid, desktop)]
    app.quit()
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            left = [pid for pid in pids if alive(pid)]
            progress(f"  WARNING: app processes still running {timeout} s after the session ended, killed: {left}")
            for pid in left:
                try:
                    os.kill(pid, 9)
                except OSError:
                    pass
            return
        time.sleep(0.1)


# --- the app through WebDriver ---------------------------------------------------------------

# One look at the explorer: how many items are on screen, whether `id` is one of them, the
# page's clock. "On screen" is what Selenium's is_displayed() boils down to for these rows (a
# layout box); done in the page, so one look is one WebDriver round trip.
EXPLORER_JS = """
const rows = [...document.querySelectorAll('[data-testid="explorer-item"]')]
  .filter((e) => e.getClientRects().length > 0);
return {
  shown: rows.length,
  target: rows.some((e) => e.dataset.id === arguments[0]),
  now: performance.now(),
  origin: performance.timeOrigin,
};
"""

# Installed once before the timed re-runs: notes the time of each Ctrl+Enter keydown (the
# event's own timeStamp, on the page's clock). The app's shortcut listener is on window in
# the capture phase too and stops propagation, but listeners on the same target still run.
KEY_PROBE_JS = """
if (!window.__benchKeys) {
  window.__benchKeys = true;
  window.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.ctrlKey && window.__bench) window.__bench.key = e.timeStamp;
  }, true);
}
"""

# Armed before each timed run: the current last-run button of the status bar. A
# MutationObserver notes the moment a new one is in the DOM (the old one gone: the app shows
# the progress bar in its place while a run goes, StatusBar.svelte).
ARM_JS = """
const sel = '[data-testid="status-last-run"]';
const old = document.querySelector(sel);
if (!old) return false;
const bench = { old, key: null, done: null, cb: null };
window.__bench = bench;
bench.observer = new MutationObserver(() => {
  const now = document.querySelector(sel);
  if (now && now !== bench.old && !bench.old.isConnected && bench.done === null) {
    bench.done = performance.now();
    bench.observer.disconnect();
    if (bench.cb) bench.cb(bench.done);
  }
});
bench.observer.observe(document.body, { childList: true, subtree: true });
return true;
"""

# Waits (asynchronously, in the page) for the armed run to show its new result.
AWAIT_JS = """
const cb = arguments[arguments.length - 1];
const bench = window.__bench;
if (bench.done !== null) cb(bench.done); else bench.cb = cb;
"""

# What the finished run shows: the keydown and done times, the Test results panel's summary
# ("3 passed, 0 failed · 12 ms"), the status bar's text and the verdicts in the test list.
RESULT_JS = """
const bench = window.__bench;
const summary = document.querySelector('[data-testid="result-panel"] .summary');
const status = document.querySelector('[data-testid="status-last-run"]');
return {
  key: bench.key,
  done: bench.done,
  summary: summary ? summary.textContent.replace(/\\s+/g, ' ').trim() : null,
  status: status ? status.textContent.replace(/\\s+/g, ' ').trim() : null,
  verdicts: [...document.querySelectorAll('[data-testid="test-verdict"]')].map((e) => e.textContent.trim()),
};
"""

EDITOR_JS = """
const c = document.querySelector('[data-testid="code-editor"] .cm-content');
if (!c) return null;
const v = c.cmTile && c.cmTile.root ? c.cmTile.root.view : (c.cmView ? c.cmView.view : null);
return v ? v.state.doc.toString() : null;
"""

FOCUS_EDITOR_JS = """
const c = document.querySelector('[data-testid="code-editor"] .cm-content');
const v = c && (c.cmTile && c.cmTile.root ? c.cmTile.root.view : (c.cmView ? c.cmView.view : null));
if (!v) return false;
v.focus();
return c.contains(document.activeElement);
"""

DURATION = re.compile(r"·\s*(\d+(?:\.\d+)?)\s*(ms|s)\b")


def reported_ms(summary):
    """The run time in the Test results panel's summary (durationText: "12 ms" or "1.23 s")."""
    found = DURATION.search(summary or "")
    if not found:
        return None
    value = float(found.group(1))
    return value if found.group(2) == "ms" else value * 1000


class Launch:
    """One launch's figures, in seconds from just before the session request."""

    def __init__(self):
        self.session = self.items = self.interactive = None
        self.typing = None  # how long send_keys took to type the ID (part of .interactive)
        self.page_items = self.page_interactive = None  # performance.now() at the same moments, ms
        self.page_origin = None  # the page's navigation start, seconds after the request
        self.process = None  # the app's process start, seconds after the request
        self.shown_before = self.shown_after = None


class App:
    """The app on one workspace, started by requesting a WebDriver session."""

    def __init__(self, driver_url, driver_pid, desktop, workspace):
        self.driver_url, self.driver_pid, self.desktop, self.workspace = driver_url, driver_pid, desktop, workspace
        self.driver = None

    def launch(self, search_id, timeout=120):
        """Starts the app and times it to an interactive explorer (see the module's doc)."""
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": self.desktop, "args": [self.workspace]})
        out = Launch()
        epoch0, boot0 = time.time(), time.clock_gettime(time.CLOCK_BOOTTIME)
        t0 = time.perf_counter()
        self.driver = webdriver.Remote(command_executor=self.driver_url, options=options)
        out.session = time.perf_counter() - t0
        pid = main_process(self.driver_pid, self.desktop)
        if pid:
            out.process = process_start(pid) - boot0
        # 1. Explorer rows on screen.
        look = self.poll(lambda l: l["shown"] > 0, search_id, timeout, "explorer items")
        out.items = time.perf_counter() - t0
        out.page_items = look["now"]
        out.page_origin = look["origin"] / 1000 - epoch0
        out.shown_before = look["shown"]
        # 2. The search box takes the ID and the list narrows to it.
        typing = time.perf_counter()
        self.driver.find_element(By.CSS_SELECTOR, tid("explorer-search")).send_keys(search_id)
        out.typing = time.perf_counter() - typing
        look = self.poll(
            lambda l: l["target"] and l["shown"] < out.shown_before, search_id, timeout, "the search to narrow the list"
        )
        out.interactive = time.perf_counter() - t0
        out.page_interactive = look["now"]
        out.shown_after = look["shown"]
        return out

    def poll(self, done, search_id, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            try:
                look = self.driver.execute_script(EXPLORER_JS, search_id)
                if look and done(look):
                    return look
            except WebDriverException:
                pass  # the page may still be loading
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(POLL)

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = predicate()
                if value:
                    return value
            except WebDriverException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.05)

    def shown(self, css):
        return [e for e in self.driver.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]

    def open_detection(self, detection):
        """Searches the detection (already typed by launch()) and clicks its explorer row."""
        row = self.wait_for("its explorer row", lambda: self.shown(tid("explorer-item", f'[data-id="{detection}"]')))
        row[0].click()
        self.wait_for("the detection view", lambda: self.shown(tid("detection-view", f'[data-id="{detection}"]')))
        self.wait_for("the code editor", lambda: self.driver.execute_script(EDITOR_JS))
        self.wait_for("the Run tests button", lambda: [b for b in self.shown(tid("run-all-tests")) if b.is_enabled()])

    def verdicts(self):
        return [e.text.strip() for e in self.driver.find_elements(By.CSS_SELECTOR, tid("test-verdict"))]

    def idle(self):
        """No run going: the status bar shows the last run (or none yet) again."""
        return self.driver.find_elements(By.CSS_SELECTOR, tid("status-last-run")) and not self.driver.find_elements(
            By.CSS_SELECTOR, tid("run-progress")
        )

    def warm_up(self, n_tests, timeout=180):
        """One run from the Run tests button; waits for every test's PASS/FAIL."""
        self.driver.find_element(By.CSS_SELECTOR, tid("run-all-tests")).click()
        self.wait_for(
            "the warm-up run's verdicts",
            lambda: self.idle() and len([v for v in self.verdicts() if v in ("PASS", "FAIL")]) >= n_tests,
            timeout,
        )

    def rerun(self, timeout=60):
        """One Ctrl+Enter, timed: (wall ms, in-page ms, reported ms, result dict)."""
        self.wait_for("the previous run to end", self.idle)
        if not self.driver.execute_script(ARM_JS):
            raise RuntimeError("no last-run button in the status bar to watch")
        chord = ActionChains(self.driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL)
        t0 = time.perf_counter()
        chord.perform()
        self.driver.set_script_timeout(timeout)
        self.driver.execute_async_script(AWAIT_JS)
        wall = (time.perf_counter() - t0) * 1000
        result = self.driver.execute_script(RESULT_JS)
        page = result["done"] - result["key"] if result["key"] is not None else None
        return wall, page, reported_ms(result["summary"]), result

    def run_all(self, timeout=900):
        """Every test of the workspace, from the command palette; returns the run's summary."""
        self.wait_for("the previous run to end", self.idle)
        self.driver.execute_script(ARM_JS)
        ActionChains(self.driver).key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("p").key_up(
            Keys.SHIFT
        ).key_up(Keys.CONTROL).perform()
        box = self.wait_for("the command palette", lambda: self.shown(tid("command-palette-input")))[0]
        box.send_keys("Run all tests in the workspace")
        self.wait_for(
            "the run-all command",
            lambda: any("Run all tests" in e.text for e in self.shown(tid("command-palette-entry"))),
        )
        box.send_keys(Keys.ENTER)
        self.driver.set_script_timeout(timeout)
        self.driver.execute_async_script(AWAIT_JS)
        return self.driver.execute_script(RESULT_JS)

    def quit(self):
        if self.driver:
            try:
                self.driver.quit()
            except WebDriverException:
                pass
            self.driver = None


# --- the workspaces --------------------------------------------------------------------------


def pick_detection(items, wanted):
    """(item, note): --detection if the workspace has it as a rule or policy with tests, or
    else the first enabled Python rule with tests (by ID)."""
    note = ""
    if wanted:
        for item in items:
            if item["id"] == wanted and item["analysis_type"] in DETECTION_TYPES and item["tests"]:
                return item, note
        note = f" (--detection {wanted}: no rule or policy with tests by that ID here)"
    return first_python_rule(items), note


def git_init(workspace):
    """A real checkout is a git repository, and the app reads its status at start: so is the
    generated workspace (one commit)."""
    quiet = {"check": True, "cwd": workspace, "stdout": subprocess.DEVNULL}
    subprocess.run(["git", "init", "-q", "-b", "main"], **quiet)
    subprocess.run(["git", "add", "-A"], **quiet)
    subprocess.run(
        ["git", "-c", "user.name=Prowl Bench", "-c", "user.email=bench@prowl.invalid", "commit", "-q", "-m", "generated"],
        **quiet,
    )


# --- the report -----------------------------------------------------------------------------


def p90(values):
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def row(label, median="", high="", target=""):
    print(f"  {label:<48} {median:>10} {high:>10}   {target}")


def fmt_ms(value):
    return "-" if value is None else f"{value:.1f} ms"


def spread(values, unit="ms"):
    return f"min {min(values):.1f}, max {max(values):.1f} {unit}, {len(values)} run" + ("s" if len(values) != 1 else "")


class Figures:
    """What bench_workspace() measured on one workspace."""

    def __init__(self):
        self.launches = []  # Launch, one per --runs
        self.reruns = []  # (wall ms, page ms, reported ms, result dict), one per --test-runs
        self.editor_changed = False  # whether Ctrl+Enter reached the code editor
        self.steady = []  # (pid, role, memory_details()) after the runs
        self.full = None  # (wall s, result dict, peak RSS kB, [(pid, role, RSS kB)] at the peak)


def bench_workspace(workspace, detection, driver, desktop, args):
    """Launches, re-runs and memory on one workspace."""
    out = Figures()
    app = None
    try:
        for i in range(args.runs):
            progress(f"  launch ({i + 1}/{args.runs})")
            app = App(driver.url, driver.proc.pid, desktop, workspace)
            out.launches.append(app.launch(detection["id"]))
            if i < args.runs - 1:  # the last app stays up for the test runs
                quit_app(app, driver.proc.pid, desktop)

        progress(f"  open {detection['id']}, warm-up run")
        app.open_detection(detection["id"])
        app.warm_up(len(detection["tests"]))
        # The focus in the code editor, as when a user presses Ctrl+Enter after an edit: the
        # app's shortcut must win over CodeMirror's own Mod-Enter. (Focused through CodeMirror's
        # view: WebDriver finds the editor's box not interactable.)
        if not app.driver.execute_script(FOCUS_EDITOR_JS):
            raise RuntimeError("could not put the focus in the code editor")
        before = app.driver.execute_script(EDITOR_JS)
        app.driver.execute_script(KEY_PROBE_JS)
        for i in range(args.test_runs):
            progress(f"  Ctrl+Enter ({i + 1}/{args.test_runs})")
            out.reruns.append(app.rerun())
            time.sleep(0.2)  # lets the page settle between two runs
        out.editor_changed = app.driver.execute_script(EDITOR_JS) != before

        time.sleep(1.0)  # lets the app settle before the snapshot
        out.steady = [(pid, role, memory_details(pid)) for pid, role in app_processes(driver.proc.pid, desktop)]
        if not args.no_full_run:
            progress("  all tests of the workspace (command palette), memory sampled")
            sampler = PeakSampler(driver.proc.pid, desktop)
            started = time.perf_counter()
            try:
                result = app.run_all()
            finally:
                sampler.stop()
            out.full = (time.perf_counter() - started, result, sampler.peak_kb, sampler.peak_procs)
    finally:
        if app:
            quit_app(app, driver.proc.pid, desktop)
    return out


def print_report(name, workspace, items, detection, note, f):
    detections = [i for i in items if i["analysis_type"] in DETECTION_TYPES + ("correlation_rule",)]
    print(f"\n{name}: {workspace}")
    print(
        f"  {len(items)} items, {len(detections)} detections, {sum(len(i['tests']) for i in detections)} tests "
        f"(prowl list); test runs on {detection['id']} ({len(detection['tests'])} tests){note}"
    )
    print()
    row("", "median", "max / p90", "target")

    # 1. Launch: seconds from the request, shown in ms; the page's clock is in ms already.
    def launch_row(label, values, target_ms=None):
        values = [v for v in values if v is not None]
        if not values:
            return row(label, "-", "-")
        med = statistics.median(values)
        target = f"<= {target_ms:.0f} ms: {verdict(med <= target_ms)}" if target_ms else ""
        row(label, fmt_ms(med), fmt_ms(max(values)), target)

    ls = f.launches
    launch_row("launch -> app process started", [l.process * 1000 for l in ls if l.process is not None])
    launch_row("launch -> WebDriver session up", [l.session * 1000 for l in ls])
    launch_row("launch -> page navigation start", [l.page_origin * 1000 for l in ls])
    launch_row("launch -> explorer items shown", [l.items * 1000 for l in ls])
    launch_row("launch -> search narrowed (interactive)", [l.interactive * 1000 for l in ls], TARGET_LAUNCH_MS)
    launch_row("  of which typing the ID (send_keys)", [l.typing * 1000 for l in ls])
    launch_row("  interactive, the typing left out", [(l.interactive - l.typing) * 1000 for l in ls], TARGET_LAUNCH_MS)
    launch_row("  page's clock at items shown", [l.page_items for l in ls])
    launch_row("  page's clock at interactive", [l.page_interactive for l in ls])

    # 2. Ctrl+Enter: median and p90.
    def rerun_row(label, values, target_ms=None):
        if not values:
            return row(label, "-", "-", "not seen")
        med = statistics.median(values)
        target = f"<= {target_ms:.0f} ms: {verdict(med <= target_ms)}" if target_ms else ""
        row(label, fmt_ms(med), fmt_ms(p90(values)), target)

    walls = [r[0] for r in f.reruns]
    pages = [r[1] for r in f.reruns if r[1] is not None]
    reported = [r[2] for r in f.reruns if r[2] is not None]
    rerun_row("Ctrl+Enter -> new verdict (wall)", walls, TARGET_RERUN_MS)
    rerun_row("Ctrl+Enter -> new verdict (page: keydown->DOM)", pages, TARGET_RERUN_MS)
    rerun_row("  run time the app reports (elapsed_ms)", reported)

    # 3. Memory.
    rss = sum(m.get("VmRSS", 0) for _, _, m in f.steady) / 1024
    pss = sum(m.get("Pss", 0) for _, _, m in f.steady) / 1024
    row("memory after the runs, sum of VmRSS", f"{rss:.1f} MB", "", f"<= {TARGET_MEMORY_MB:.0f} MB: {verdict(rss <= TARGET_MEMORY_MB)}")
    row("  the same, sum of Pss", f"{pss:.1f} MB", "", f"<= {TARGET_MEMORY_MB:.0f} MB: {verdict(pss <= TARGET_MEMORY_MB)}")
    if f.full:
        peak = f.full[2] / 1024
        row("memory, peak VmRSS sum while running all tests", f"{peak:.1f} MB", "",
            f"<= {TARGET_MEMORY_MB:.0f} MB: {verdict(peak <= TARGET_MEMORY_MB)}")

    # The details.
    print()
    for i, l in enumerate(ls, 1):
        process = f"process {l.process * 1000:.0f}, " if l.process is not None else ""
        print(
            f"  launch {i}: {process}session {l.session * 1000:.0f}, navigation {l.page_origin * 1000:.0f}, "
            f"items {l.items * 1000:.0f} (page {l.page_items:.0f}), interactive {l.interactive * 1000:.0f} "
            f"(page {l.page_interactive:.0f}) ms, typing {l.typing * 1000:.0f} ms; "
            f"{l.shown_before} rows shown, {l.shown_after} after the search"
        )
    for label, values in (("Ctrl+Enter wall ", walls), ("Ctrl+Enter page ", pages), ("app's elapsed_ms", reported)):
        if values:
            print(f"  {label}  {spread(values)}: " + ", ".join(f"{v:.0f}" for v in values))
    last = f.reruns[-1][3]
    print(f"  last re-run: results panel \"{last['summary']}\", status bar \"{last['status']}\", verdicts {' '.join(last['verdicts'])}")
    if sum(v in ("PASS", "FAIL") for v in last["verdicts"]) != len(detection["tests"]):
        print(f"  WARNING: {len(detection['tests'])} tests, but the test list shows {last['verdicts']}")
    if f.editor_changed:
        print("  WARNING: the code editor's text changed during the Ctrl+Enter runs (the key reached the editor)")
    print(f"  processes after the runs ({len(f.steady)}):            VmRSS     anon     file    shmem      Pss")
    for pid, role, m in f.steady:
        cells = " ".join(f"{m.get(k, 0) / 1024:8.1f}" for k in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "Pss"))
        print(f"    {pid:>7}  {role:<28} {cells}")
    if f.full:
        seconds, result, peak_kb, procs = f.full
        print(f"  all tests: \"{result['summary']}\", {seconds:.1f} s wall; VmRSS at the peak ({peak_kb / 1024:.1f} MB):")
        for pid, role, kb in procs:
            print(f"    {pid:>7}  {role:<28} {kb / 1024:8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="launches per workspace (default 3)")
    parser.add_argument("--test-runs", type=int, default=10, help="timed Ctrl+Enter runs per workspace (default 10)")
    parser.add_argument("--detection", metavar="ID", help="detection for the test runs")
    parser.add_argument("--quick", action="store_true", help="a small generated workspace, for a smoke run")
    parser.add_argument("--no-full-run", action="store_true", help="skip running all tests (and its peak memory)")
    parser.add_argument("--keep", action="store_true", help="keep the workspaces and tauri-driver's log (the path is printed)")
    parser.add_argument("--real", metavar="REF", help="instead: panther-analysis at this release, from the clone "
                        "PROWL_PANTHER_ANALYSIS names (exported with git archive, its own managed environment)")
    args = parser.parse_args()
    if min(args.runs, args.test_runs) < 1:
        sys.exit("--runs and --test-runs must be at least 1")
    ensure_display()
    desktop = desktop_binary()
    cli = cli_binary()

    tmp = tempfile.mkdtemp(prefix="prowl-bench-desktop-")
    # The app's and the CLI's environment: one shared Python environment for the temporary
    # workspaces, a private cache folder, a fixed window.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if args.real:
        # Real content keeps its own managed environment (its Pipfile's packages).
        env.pop("PROWL_PYTHON_ENV", None)
        os.environ.pop("PROWL_PYTHON_ENV", None)
        if not os.environ.get("PROWL_PANTHER_ANALYSIS"):
            print("skipped: --real needs PROWL_PANTHER_ANALYSIS (a clone of panther-analysis with its tags)")
            return
    else:
        env.setdefault("PROWL_PYTHON_ENV", os.path.join(CACHE, "test-env"))
    env["PROWL_CACHE"] = os.path.join(tmp, "app-cache")
    env.setdefault("PROWL_WINDOW_STATE", "off")
    os.environ.update(env)  # tauri-driver passes its environment on to the app

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # other work on the machine skews timings
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    print(f"machine: {cpus} cores ({usable} usable), load {load}")
    profile = "debug" if "/debug/" in desktop else "release" if "/release/" in desktop else "?"
    print(f"prowl-desktop: {desktop} ({profile} build); prowl CLI: {cli}")
    display = f"from {os.environ[WRAPPED]}" if os.environ.get(WRAPPED) else "(the caller's)"
    print(f"display {os.environ.get('DISPLAY')} {display}; tauri-driver on {DRIVER_PORT}/{NATIVE_PORT}; PROWL_PYTHON_ENV={env.get('PROWL_PYTHON_ENV', '(each workspace its own)')}")

    driver = None
    try:
        if args.real:
            import bench_real
            tree = os.path.join(tmp, "panther-analysis")
            commit = bench_real.export(os.environ["PROWL_PANTHER_ANALYSIS"], args.real, tree)
            git_init(tree)
            workspaces = ((f"panther-analysis {args.real} ({commit[:12]})", tree),)
        else:
            demo = os.path.join(tmp, "demo")
            subprocess.run([cli, "demo", demo], check=True, stdout=subprocess.DEVNULL, env=env)
            generated = os.path.join(tmp, "generated")
            size = QUICK_SIZE if args.quick else FULL_SIZE
            subprocess.run([sys.executable, os.path.join(HERE, "generate_workspace.py"), generated, *size], check=True,
                           stdout=subprocess.DEVNULL)
            git_init(generated)
            label = "generated (quick)" if args.quick else "generated (panther-analysis scale)"
            workspaces = (("demo", demo), (label, generated))
        driver = TauriDriver(os.path.join(tmp, "tauri-driver.log"))
        for name, ws in workspaces:
            ensure_env(cli, ws, env)
            items = workspace_items(cli, ws, env)
            detection, note = pick_detection(items, args.detection)
            progress(f"{name}: {ws}")
            figures = bench_workspace(ws, detection, driver, desktop, args)
            print_report(name, ws, items, detection, note, figures)
        print("\nlaunch figures start just before the WebDriver session request, which starts the app (its process")
        print("start is read from /proc, to 10 ms); \"page\" figures are the page's performance.now() (from its")
        print("navigation start) or event times on that clock; wall figures include WebDriver's round trips;")
        print("memory in MB; VmRSS counts shared pages once per process (an upper bound), Pss shares them out")
    finally:
        if driver:
            driver.stop()
        if args.keep:
            print(f"\nkept the workspaces and tauri-driver's log: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
