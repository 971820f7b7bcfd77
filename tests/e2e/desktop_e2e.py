#!/usr/bin/env python3
"""End-to-end test of the real desktop app: the Tauri window (WebKitGTK) under Xvfb, driven
through WebDriver by `tauri-driver` and Debian's `WebKitWebDriver`.

Run by tests/run-e2e.sh (which builds the app and the front end, starts Xvfb and tauri-driver):

    PROWL_DESKTOP=<prowl-desktop binary> PROWL_CLI=<prowl binary> \
    PROWL_E2E_ARTIFACTS=<folder for screenshots> python tests/e2e/desktop_e2e.py

Flows, on a fresh copy of the demo workspace (a git repository):
  1. the explorer lists the demo's detections;
  2. a rule broken in the code editor fails its test, and the failure points at the right line;
  3. fixed again, it passes;
  4. a test added through the test editor changes the spec by exactly the new test's lines
     (checked with `git diff`);
  5. a file edited outside the app while open: reloaded when the buffer is clean, a banner when
     it is dirty;
  6. a commit from the git view lands in `git log`;
  7. a log value containing `<img src=x onerror=…>` is shown as text, never as HTML; the demo's
     Simple Detection runs its tests from its view, each result marked "evaluated locally";
  8. the theme toggle switches between light and dark;
  9. the Environment view, opened from the command palette, shows the workspace's Python
     environment as ready, with panther-core among its packages;
 10. the Audit view, opened from the command palette, audits a copy of
     tests/fixtures/audit/findings-pack against a copy of tests/fixtures/audit/user-fork (the demo
     has no ID in common with it) with dynamic checks: the verdict is "dangerous" and the tests
     ran in the sandbox; the PA111 finding shows rules/net_and_keys.py read-only at line 11 (that
     line marked); the network attempt its tests made is listed at rules/net_and_keys.py:7; the
     pack would replace Audit.Capabilities (screenshots audit-view.png, audit-view-sandbox.png).
 11. the Replay view, opened from the activity bar, replays the demo's sample_logs/ (offered as
     one click): 26 alerts in the table and a chart of alerts over time per detection; an alert
     of Demo.AWS.RootConsoleLogin opened, its first event added as a unit test, and the spec on
     disk gained exactly that test (`prowl tests list` before and after, `git diff` adding lines
     only); the detection opens with the test selected (screenshots replay-view.png,
     replay-events.png, replay-test-added.png).
 12. the Deploy view, opened from the activity bar, against a Panther server of ours on loopback
     (tests/remote/panther_server.py) that already holds an old rule the fork lacks and the
     demo's CloudTrail-stopped rule at another severity: a profile made in the window (its token
     checked, then kept in a Secret Service of the test's own), the connection shown, the drift
     previewed (that rule "changes: severity", the old rule "only on the instance"); the upload
     runs the tests first (the instance transpiling the Simple Detections and inline filters
     and running the correlation rule's tests), then sends the archive: every item listed with
     what the preview predicted; the preview read again shows nothing left to add or change; the
     old rule deleted after the dry run and the confirmation; the token is in no file of the
     config folder and in no output (screenshots deploy-*.png).
 13. the Upstream view, opened from the activity bar, on the demo's `upstream` remote (release 2.0):
     the plan before the merge (counts per class, the deleted rule and the Threshold conflict
     needing the user), a fetch, the merge written and checked (the conflicting spec reported
     with its markers), the Threshold conflict's three sides and the three-way view, the fork's
     value kept (the spec checked again clean), the proposed decisions accepted, the merge
     committed: `git log` shows the merge commit with the fork's HEAD and upstream's release as
     parents, "Undo last merge" offered (screenshots upstream-*.png). Work left by the earlier
     steps is committed first, as a user would before merging.
 13b. with PROWL_RAY set (Ray 2.60: tests/setup.sh's ensure_ray), on a loopback Ray cluster of the
     test's own (a head on port 6421 and a second node, one CPU each, killed by process group at
     the end): the Settings view saves the cluster's address and the Python with its Ray, and
     "Check connection" shows its Ray and both nodes; the Replay view, its cluster target chosen,
     refuses to send the untrusted demo and offers the trust action; trusted, the replay on the
     cluster gives the alerts this machine gave, with every task done on both nodes
     (screenshots settings-cluster.png, replay-cluster-untrusted.png, replay-cluster.png).
     Without PROWL_RAY the step says so and does nothing.
The demo copy is not trusted (PROWL_CONFIG is an empty folder: nothing is), so the restricted-mode
banner shows; the first step keeps it restricted, which hides the banner for the session.

Then the app is started again, on a copy of the hostile pack tests/fixtures/sandbox (without its
runaway detection, which only the time limit stops):
 14. the restricted-mode banner says the workspace is not trusted, the status bar "Restricted";
     its tests run (in the sandbox): the network and file detections are marked with what they
     tried, their detail lists it ("network — … at rules/network.py:7"), the place opens the
     line; nothing reached the listening server, the planted-file canary is unchanged;
 15. "Trust this folder" asks once, then the status bar says "Trusted" and the trust store in
     PROWL_CONFIG names the folder; the status bar's "Trusted" revokes it again.
Screenshots of each main view go to PROWL_E2E_ARTIFACTS (untrusted-pack.png, trusted-pack.png
for 14 and 15).

PROWL_CONFIG must be set (tests/run-e2e.sh does, to an empty folder, for tauri-driver and so
the app): step 12 trusts a folder, which must not land in the developer's own trust store.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from PIL import ImageGrab

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from benchlib import process_table  # noqa: E402  (the benchmarks' /proc walk)

DESKTOP = os.environ["PROWL_DESKTOP"]
CLI = os.environ["PROWL_CLI"]
ARTIFACTS = os.environ.get("PROWL_E2E_ARTIFACTS", os.path.join(tempfile.gettempdir(), "prowl-e2e"))
DRIVER_URL = os.environ.get("PROWL_TAURI_DRIVER", "http://127.0.0.1:4444")

CONFIG = os.environ.get("PROWL_CONFIG", "")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")

RULE_ID = "Demo.AWS.CloudTrail.Stopped"
RULE_PY = "rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py"
RULE_YML = "rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.yml"


# The CodeMirror EditorView behind an editor element: CodeMirror keeps it on `.cm-content`
# (`cmTile.root.view` since @codemirror/view 6.39, `cmView.view` before).
VIEW_JS = (
    "function view(sel) {"
    "  const c = document.querySelector(sel + ' .cm-content');"
    "  if (!c) return null;"
    "  if (c.cmTile && c.cmTile.root) return c.cmTile.root.view;"
    "  return c.cmView ? c.cmView.view : null;"
    "}"
)


def tid(name, extra=""):
    return f'[data-testid="{name}"]{extra}'


class App:
    def __init__(self, workspace):
        options = webdriver.common.options.ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": DESKTOP, "args": [workspace]})
        self.driver = webdriver.Remote(command_executor=DRIVER_URL, options=options)
        self.workspace = workspace

    def wait(self, css, timeout=30, visible=True):
        def find(d):
            for el in d.find_elements(By.CSS_SELECTOR, css):
                if not visible or el.is_displayed():
                    return el
            return False

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(find)
        except TimeoutException:
            self.shot("timeout")
            raise AssertionError(f"no visible element {css} within {timeout} s") from None

    def wait_until(self, what, predicate, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            try:
                value = predicate()
                if value:
                    return value
            except WebDriverException:
                pass
            time.sleep(0.1)
        self.shot("timeout")
        raise AssertionError(f"timed out waiting for {what}")

    def click(self, css):
        el = self.wait(css)
        el.click()
        return el

    def shot(self, name):
        """Saves the window as the X server shows it. The app renders with the CPU (no
        accelerated compositing, see src-tauri/src/main.rs), and in that mode WebKitWebDriver's
        own screenshot command never answers; the X screen is the truth anyway."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        # Let the page paint what the last command changed: two animation frames.
        self.driver.execute_async_script(
            "const done = arguments[0];"
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
        )
        rect = self.driver.get_window_rect()
        x, y = max(rect["x"], 0), max(rect["y"], 0)
        box = (x, y, x + rect["width"], y + rect["height"])
        ImageGrab.grab(bbox=box, xdisplay=os.environ.get("DISPLAY")).save(path)
        return path

    def editor_text(self, testid):
        return self.driver.execute_script(
            VIEW_JS + "const v = view(arguments[0]); return v ? v.state.doc.toString() : null;",
            tid(testid),
        )

    def set_editor_text(self, testid, text):
        """Replaces a CodeMirror editor's content as one user transaction (typing it key by key
        would trigger auto-indent and bracket closing)."""
        self.wait(tid(testid, " .cm-content"))
        ok = self.driver.execute_script(
            VIEW_JS + "const v = view(arguments[0]); if (!v) return false;"
            "v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: arguments[1]},"
            "            userEvent: 'input'});"
            "return true;",
            tid(testid),
            text,
        )
        assert ok, f"no CodeMirror editor in {testid}"

    def save(self):
        self.click(tid("save-button"))

    def run_all(self):
        self.click(tid("run-all-tests"))

    def verdicts(self):
        out = {}
        for item in self.driver.find_elements(By.CSS_SELECTOR, tid("test-item")):
            verdict = item.find_elements(By.CSS_SELECTOR, tid("test-verdict"))
            out[item.get_attribute("data-name")] = verdict[0].text.strip() if verdict else ""
        return out

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass


def git(workspace, *args):
    return subprocess.run(["git", "-C", workspace, *args], check=True, capture_output=True,
                          text=True).stdout


def read(workspace, rel):
    with open(os.path.join(workspace, rel), encoding="utf-8") as handle:
        return handle.read()


def write(workspace, rel, text):
    with open(os.path.join(workspace, rel), "w", encoding="utf-8") as handle:
        handle.write(text)


def open_detection(app, detection_id, code=True):
    search = app.wait(tid("explorer-search"))
    search.clear()
    search.send_keys(detection_id)
    # The search applies after a short debounce and the list re-renders: wait until only the
    # searched item is listed, then click it (again if a re-render swallowed the click).
    app.wait_until(
        "the explorer narrowed to the item",
        lambda: {e.get_attribute("data-id")
                 for e in app.driver.find_elements(By.CSS_SELECTOR, tid("explorer-item"))}
        == {detection_id},
    )
    for _ in range(3):
        try:
            app.driver.find_element(
                By.CSS_SELECTOR, tid("explorer-item", f'[data-id="{detection_id}"]')).click()
        except WebDriverException:
            pass
        try:
            app.wait(tid("detection-view"), timeout=5)
            break
        except AssertionError:
            continue
    app.wait(tid("detection-view"))
    if code:
        app.wait_until("the code editor", lambda: app.editor_text("code-editor"))


SIMPLE = "Demo.AWS.KMS.KeyDeletionScheduled"


def test_simple_detection_evaluated_locally(app):
    # A Simple Detection has no Python: PAT skips it without a Panther backend; the window
    # runs its tests through Prowl's match-language evaluator and says so on each result.
    open_detection(app, SIMPLE, code=False)
    app.wait_until("the spec editor", lambda: "Detection:" in app.editor_text("spec-editor"))
    app.click(tid("run-all-tests"))
    rows = app.wait_until(
        "its results",
        lambda: app.driver.find_elements(By.CSS_SELECTOR, tid("result-row", f'[data-id="{SIMPLE}"]')),
    )
    for row in rows:
        assert row.find_elements(By.CSS_SELECTOR, tid("result-local")), row.text
        assert "PASS" in row.text, row.text
    assert len(rows) >= 2, [r.text for r in rows]
    app.shot("05b-simple-detection-evaluated-locally")


def test_explorer(app):
    # The demo copy is nobody's trusted folder: restricted mode, kept for this session.
    banner = app.wait(tid("trust-banner"))
    assert "Restricted mode" in banner.text, banner.text
    app.click(tid("trust-keep-restricted"))
    app.wait_until("the banner gone",
                   lambda: not app.driver.find_elements(By.CSS_SELECTOR, tid("trust-banner")))
    status = app.wait(tid("status-trust"))
    assert status.get_attribute("data-trusted") == "false", status.text
    app.wait(tid("explorer"))
    items = app.wait_until(
        "explorer items",
        lambda: app.driver.find_elements(By.CSS_SELECTOR, tid("explorer-item")),
    )
    ids = {i.get_attribute("data-id") for i in items}
    assert RULE_ID in ids or len(ids) > 5, ids
    app.shot("01-explorer")


def test_break_and_fix(app, ws):
    open_detection(app, RULE_ID)
    original = read(ws, RULE_PY)
    assert app.editor_text("code-editor") == original
    lines = original.split("\n")
    at = next(i for i, l in enumerate(lines) if l.startswith("def rule("))
    broken_lines = lines[: at + 1] + ['    raise ValueError("broken on purpose")'] + lines[at + 1:]
    broken_line_no = at + 2
    # A syntax error is flagged as you type (a worker compiles the unsaved buffer), at its line.
    app.set_editor_text("code-editor", original.replace("def rule(event):", "def rule(event)", 1))
    app.wait_until(
        "the syntax error marked in the code editor",
        lambda: app.driver.find_elements(
            By.CSS_SELECTOR,
            f'{tid("code-editor")} .cm-lintRange-error, {tid("code-editor")} .cm-lint-marker-error'),
    )
    app.set_editor_text("code-editor", "\n".join(broken_lines))
    app.save()
    app.wait_until("the save", lambda: "broken on purpose" in read(ws, RULE_PY))
    app.run_all()
    app.wait_until("a FAIL", lambda: "FAIL" in app.verdicts().values())
    panel = app.wait(tid("result-panel"))
    frames = app.wait_until(
        "a traceback frame",
        lambda: app.driver.find_elements(By.CSS_SELECTOR, tid("traceback-frame")),
    )
    texts = " ".join(f.text for f in frames)
    assert f":{broken_line_no}" in texts or f"line {broken_line_no}" in texts, texts
    assert "broken on purpose" in panel.text, panel.text
    app.shot("02-failing-test")
    # Fix it: PASS again.
    app.set_editor_text("code-editor", original)
    app.save()
    app.wait_until("the fix on disk", lambda: read(ws, RULE_PY) == original)
    app.run_all()
    app.wait_until(
        "every test passing",
        lambda: app.verdicts() and all(v == "PASS" for v in app.verdicts().values()),
    )
    app.shot("03-passing-tests")
    # The tests ran in `prowl-worker` processes started by the app: Python never runs in the
    # window's process, and workers do not load the window's libraries.
    workers = app_children("prowl-worker")
    assert workers, "no prowl-worker process below the app"
    for pid in workers:
        maps = open(f"/proc/{pid}/maps").read()
        assert "libwebkit2gtk" not in maps, f"worker {pid} maps WebKitGTK"


def app_children(comm):
    """PIDs of processes named `comm` whose parent is a prowl-desktop process."""
    table = process_table()
    return [pid for pid, (ppid, name, _) in table.items()
            if name == comm and table.get(ppid, (0, "", []))[1] == "prowl-desktop"]


XSS = "<img src=x onerror=window.__prowl_xss=1>"


def test_add_test_changes_only_its_lines(app, ws):
    open_detection(app, RULE_ID)
    before = read(ws, RULE_YML)
    app.click(tid("test-add"))
    name = app.wait(tid("test-name-input"))
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("Hostile value shown as text")
    event = {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
             "requestParameters": {"name": XSS}, "recipientAccountId": "123456789012"}
    app.set_editor_text("test-event-editor", json.dumps(event, indent=2))
    app.click(tid("test-save-edit"))
    app.wait_until("the new test in the spec buffer",
                   lambda: "Hostile value shown as text" in app.editor_text("spec-editor"))
    app.save()
    app.wait_until("the spec on disk", lambda: read(ws, RULE_YML) != before)
    diff = git(ws, "diff", "--unified=0", "--", RULE_YML)
    changed = [l for l in diff.splitlines()
               if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert changed and all(l.startswith("+") for l in changed), diff
    assert any("Hostile value shown as text" in l for l in changed), diff
    app.shot("04-test-editor")
    return event


def test_hostile_value_is_text(app):
    app.run_all()
    app.wait_until("the new test's verdict",
                   lambda: "Hostile value shown as text" in app.verdicts())
    app.click(tid("test-item", '[data-name="Hostile value shown as text"]'))
    values = app.wait_until(
        "event values",
        lambda: [e for e in app.driver.find_elements(By.CSS_SELECTOR, tid("event-value"))
                 if XSS in e.text] or
                [e for e in app.driver.find_elements(By.CSS_SELECTOR, tid("result-panel"))
                 if XSS in e.text],
    )
    assert values
    assert app.driver.execute_script("return window.__prowl_xss === undefined")
    imgs = app.driver.execute_script(
        "return Array.from(document.querySelectorAll('img')).filter(i => i.getAttribute('src') === 'x').length")
    assert imgs == 0, "a log value was rendered as HTML"
    app.shot("05-hostile-value-as-text")


def test_outside_edits(app, ws):
    open_detection(app, RULE_ID)
    # Clean buffer: reloaded silently.
    text = read(ws, RULE_PY) + "\n# edited outside Prowl\n"
    write(ws, RULE_PY, text)
    app.wait_until("the outside edit in the editor",
                   lambda: "# edited outside Prowl" in (app.editor_text("code-editor") or ""))
    # Dirty buffer: a banner, the buffer kept.
    app.set_editor_text("code-editor", text + "# my unsaved change\n")
    write(ws, RULE_PY, text + "# a second outside edit\n")
    app.wait(tid("changed-banner"))
    assert "# my unsaved change" in app.editor_text("code-editor")
    app.shot("06-changed-on-disk")
    # Take the disk version so the workspace is clean for the commit.
    write(ws, RULE_PY, text)
    app.set_editor_text("code-editor", text)
    app.save()


def test_commit(app, ws):
    app.click(tid("git-view-open"))
    app.wait(tid("git-view"))
    files = app.wait_until("changed files",
                           lambda: app.driver.find_elements(By.CSS_SELECTOR, tid("git-file")))
    spec = [f for f in files if (f.get_attribute("data-path") or "").endswith(".yml")]
    (spec or files)[0].click()
    diff = app.wait(tid("git-diff"))
    # The spec's diff shows the test added through the test editor.
    app.wait_until("the diff", lambda: "Hostile value shown as text" in diff.text
                   or not spec)
    app.shot("07-git-view")
    app.click(tid("git-stage-all"))
    message = app.wait(tid("git-commit-message"))
    message.send_keys("Tune CloudTrail rule from the e2e test")
    app.click(tid("git-commit-button"))
    app.wait_until("the commit", lambda: git(ws, "log", "-1", "--format=%s").strip()
                   == "Tune CloudTrail rule from the e2e test")
    assert git(ws, "status", "--porcelain").strip() == "", git(ws, "status", "--porcelain")


def test_dark_theme(app):
    before = app.driver.execute_script(
        "return getComputedStyle(document.body).backgroundColor")
    app.click(tid("theme-toggle"))
    app.wait_until("the other theme",
                   lambda: app.driver.execute_script(
                       "return getComputedStyle(document.body).backgroundColor") != before)
    app.shot("08-other-theme")
    app.click(tid("theme-toggle"))
    app.wait_until("the first theme back",
                   lambda: app.driver.execute_script(
                       "return getComputedStyle(document.body).backgroundColor") == before)


def run_palette_command(app, query, label):
    app.click(tid("command-palette-open"))
    app.wait(tid("command-palette-input")).send_keys(query)
    # The list re-renders as the query applies: find the entry again if a click hit a stale one.
    for _ in range(3):
        entry = app.wait_until(
            f"the palette's entry {label!r}",
            lambda: next((e for e in app.driver.find_elements(By.CSS_SELECTOR, tid("command-palette-entry"))
                          if label in e.text), None),
        )
        try:
            entry.click()
            break
        except WebDriverException:
            continue


def test_environment_view(app):
    run_palette_command(app, "Environment: Show", "Environment: Show the Python environment")
    app.wait(tid("env-view"))
    app.wait_until(
        "the environment's status to be ready",
        lambda: any(e.get_attribute("data-status") == "ready"
                    for e in app.driver.find_elements(By.CSS_SELECTOR, tid("env-status"))),
    )
    app.wait_until(
        "panther-core in the packages table",
        lambda: "panther-core" in {r.get_attribute("data-name")
                                   for r in app.driver.find_elements(By.CSS_SELECTOR, tid("env-package-row"))},
    )
    app.shot("09-environment")


def audit_fixtures():
    """Copies of the audit fixtures: the pack to audit and the fork it is compared with."""
    base = tempfile.mkdtemp(prefix="prowl-e2e-audit-")
    pack = os.path.join(base, "findings-pack")
    fork = os.path.join(base, "user-fork")
    shutil.copytree(os.path.join(FIXTURES, "audit", "findings-pack"), pack)
    shutil.copytree(os.path.join(FIXTURES, "audit", "user-fork"), fork)
    return pack, fork


def marked_line(app):
    """The line number of the read-only audit editor's cursor, and the marked line's text."""
    return app.driver.execute_script(
        VIEW_JS + "const v = view(arguments[0]); if (!v) return null;"
        "const m = document.querySelector(arguments[0] + ' .cm-markedLine');"
        "return [v.state.doc.lineAt(v.state.selection.main.head).number, m ? m.textContent : null];",
        tid("audit-file-editor"))


def test_audit_view(app):
    pack, fork = audit_fixtures()
    run_palette_command(app, "Audit a pack", "Audit a pack…")
    app.wait(tid("audit-view"))
    app.wait(tid("audit-source")).send_keys(pack)
    app.wait(tid("audit-against")).send_keys(fork)
    assert app.wait(tid("audit-dynamic")).is_selected(), "dynamic checks are on by default"
    app.click(tid("audit-run"))
    verdict = app.wait(tid("audit-verdict"), timeout=180)
    assert verdict.get_attribute("data-verdict") == "dangerous", verdict.text
    assert "Dangerous" in verdict.text, verdict.text
    ran = app.wait(tid("audit-dynamic-status"))
    assert ran.get_attribute("data-ran") == "true", ran.text
    assert "namespaces=1" in app.wait(tid("audit-sandbox")).text
    # Errors first; the secret-read finding shows its file at its line, marked.
    severities = [f.get_attribute("data-severity")
                  for f in app.driver.find_elements(By.CSS_SELECTOR, tid("audit-finding"))]
    assert severities == sorted(severities, key=["error", "warning", "note"].index), severities
    app.click(tid("audit-finding", '[data-code="PA111"]'))
    app.wait_until(
        "rules/net_and_keys.py at line 11",
        lambda: (app.driver.find_element(By.CSS_SELECTOR, tid("audit-file")).get_attribute("data-file"),
                 app.driver.find_element(By.CSS_SELECTOR, tid("audit-file")).get_attribute("data-line"))
        == ("rules/net_and_keys.py", "11"),
    )
    line, text = app.wait_until("the marked line 11", lambda: (lambda m: m if m and m[0] == 11 else None)(marked_line(app)))
    assert "~/.ssh/id_rsa" in (text or ""), text
    assert "socket.create_connection" in app.editor_text("audit-file-editor")
    assert app.driver.execute_script(
        "return document.querySelector(arguments[0] + ' .cm-content').getAttribute('contenteditable')",
        tid("audit-file-editor")) == "false", "the pack's file is read-only"
    # The bottom panel folded away for the screenshot: the verdict, the findings and the file.
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")
    app.shot("audit-view")
    # What its tests tried in the sandbox, per detection and test.
    app.click(tid("audit-pane", '[data-pane="attempts"]'))
    attempts = app.wait_until(
        "the network attempt recorded",
        lambda: [a.text for a in app.driver.find_elements(
            By.CSS_SELECTOR, f'{tid("audit-attempt-group")}[data-item="Audit.NetworkAndKeys"] {tid("attempt")}')
            if a.text.startswith("network — ") and a.text.endswith("at rules/net_and_keys.py:7")],
    )
    assert attempts, attempts
    app.shot("audit-view-sandbox")
    # The detection of the fork's the pack would replace.
    app.click(tid("audit-pane", '[data-pane="replaces"]'))
    app.wait(tid("audit-replace", '[data-id="Audit.Capabilities"]'))
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")


REPLAY_RULE = "Demo.AWS.RootConsoleLogin"
REPLAY_SPEC = "rules/aws_cloudtrail_rules/demo_aws_root_console_login.yml"
REPLAY_TEST = "Root console failures from the sandbox, replayed"


def spec_tests(ws, rel):
    """The spec's tests as the core reads them (`prowl tests list --format json`)."""
    out = subprocess.run([CLI, "tests", "list", os.path.join(ws, rel), "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_replay_view(app, ws):
    before = spec_tests(ws, REPLAY_SPEC)
    app.click(tid("replay-view-open"))
    app.wait(tid("replay-view"))
    suggested = app.wait(tid("replay-suggested"))
    assert suggested.get_attribute("data-path").endswith("/sample_logs"), suggested.get_attribute("data-path")
    suggested.click()
    app.click(tid("replay-run"))
    summary = app.wait(tid("replay-summary"), timeout=240)
    # 25 from the Python rules, 1 from the Simple Detection (Demo.AWS.KMS.KeyDeletionScheduled).
    assert summary.get_attribute("data-alerts") == "26", summary.text
    assert summary.get_attribute("data-cancelled") == "false"
    read_line = app.wait(tid("replay-events-read")).text
    assert read_line.replace(",", "").startswith("2691 from 4 files"), read_line
    shown = app.wait(tid("replay-alert-shown")).text
    assert shown == "26 of 26", shown
    rows = app.driver.find_elements(By.CSS_SELECTOR, tid("replay-alert"))
    assert len(rows) >= 10, len(rows)
    chart = app.wait(tid("replay-chart"))
    series = {s.get_attribute("data-detection")
              for s in app.driver.find_elements(By.CSS_SELECTOR, tid("replay-chart-series"))}
    assert int(chart.get_attribute("data-series")) == len(series) >= 10, series
    assert REPLAY_RULE in series, series
    plot = app.driver.find_element(By.CSS_SELECTOR, tid("replay-chart-plot"))
    app.wait_until(f"the chart drawn on its canvas ({plot.get_attribute('data-error')})",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("replay-chart-plot"))
                   .get_attribute("data-drawn") == "true"
                   and app.driver.find_elements(By.CSS_SELECTOR, tid("replay-chart-plot") + " canvas"))
    # The bottom panel folded away for the screenshots: the summary, the chart and the table.
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")
    app.shot("replay-view")
    # The root console login failures in the sandbox account: one alert of 3 events.
    app.wait(tid("replay-alert-filter")).send_keys("acme-sandbox root")
    row = app.wait_until(
        "the one root login alert",
        lambda: (lambda r: r[0] if len(r) == 1 else None)(
            app.driver.find_elements(By.CSS_SELECTOR, tid("replay-alert"))))
    assert row.get_attribute("data-detection") == REPLAY_RULE, row.text
    row.click()
    events = app.wait_until(
        "the alert's events",
        lambda: app.driver.find_elements(By.CSS_SELECTOR, tid("replay-event")))
    assert len(events) == 3, len(events)
    text = app.wait(tid("replay-event-json")).text
    event = json.loads(text)
    assert event["p_log_type"] == "AWS.CloudTrail", text
    assert event["eventName"] == "ConsoleLogin", text
    app.shot("replay-events")
    app.click(tid("replay-add-test"))
    name = app.wait(tid("replay-test-name"))
    assert name.get_attribute("value").startswith("Replayed event aws_cloudtrail.jsonl.gz:"), name.get_attribute("value")
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys(REPLAY_TEST)
    app.click(tid("replay-test-save"))
    # Saved to disk through the window's save path, then shown in the detection view.
    app.wait_until("the spec on disk", lambda: REPLAY_TEST in read(ws, REPLAY_SPEC))
    after = spec_tests(ws, REPLAY_SPEC)
    assert len(after) == len(before) + 1, (before, after)
    old = [{k: v for k, v in t.items() if k not in ("line", "index")} for t in before]
    kept = [{k: v for k, v in t.items() if k not in ("line", "index")} for t in after[:-1]]
    assert kept == old, "the other tests changed"
    added = after[-1]
    assert added["name"] == REPLAY_TEST and added["expected"] is True, added
    assert added["event"]["eventName"] == "ConsoleLogin", added
    assert "p_row_id" not in added["event"] and added["event"]["p_log_type"] == "AWS.CloudTrail", added
    diff = git(ws, "diff", "--unified=0", "--", REPLAY_SPEC)
    changed = [l for l in diff.splitlines() if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert changed and all(l.startswith("+") for l in changed), diff
    app.wait(tid("detection-view"))
    app.wait(tid("test-item", f'[data-name="{REPLAY_TEST}"]'))
    app.wait_until("the new test selected in the form",
                   lambda: app.wait(tid("test-name-input")).get_attribute("value") == REPLAY_TEST)
    app.shot("replay-test-added")
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")


IMPACT_SPEC = "rules/okta_rules/demo_okta_brute_force_logins.yml"


def threshold_impact(app, ws, shot):
    """With the fork's brute-force threshold lowered from 20 to 3 (saved outside the app),
    "Impact" on the Replay view's current target shows the three alerts the edit adds; the spec
    is restored after."""
    text = read(ws, IMPACT_SPEC)
    assert "Threshold: 20" in text, text
    write(ws, IMPACT_SPEC, text.replace("Threshold: 20", "Threshold: 3"))
    try:
        app.click(tid("replay-impact"))
        panel = app.wait(tid("replay-impact-panel"), timeout=240)
        assert panel.get_attribute("data-added") == "3", panel.text
        assert panel.get_attribute("data-removed") == "0", panel.text
        moved = [d.get_attribute("data-id")
                 for d in app.driver.find_elements(By.CSS_SELECTOR, tid("replay-impact-detection"))]
        assert moved == ["Demo.Okta.BruteForceLogins"], moved
        summary = app.wait(tid("replay-impact-summary")).text
        assert "added" in summary and "3 added" in summary.replace(",", ""), summary
        assert "+ added" in panel.text, panel.text
        app.shot(shot)
    finally:
        write(ws, IMPACT_SPEC, text)


def test_replay_impact(app, ws):
    """After an edit, "Impact" replays the same logs through the last commit's rules and the
    working tree's on this machine and shows the alerts the edit adds."""
    app.click(tid("replay-view-open"))
    app.wait(tid("replay-view"))
    sources = app.wait(tid("replay-sources"))
    if not sources.get_attribute("value").strip():
        app.click(tid("replay-suggested"))
    threshold_impact(app, ws, "replay-impact")


# The cluster step's loopback cluster (the desktop's command test uses 6420, the core's 6390-6399).
RAY_PORT = 6421
RAY_TEMPS = ("/tmp/ray-desktop-e2e", "/tmp/ray-desktop-e2e2")


class RayCluster:
    """A loopback Ray cluster of the test's own: a head and a second node, one CPU each, each
    `ray start --block` leading a session of its own. Stopped by killing each session's process
    group with killpg(2) — never `ray stop`, which stops every cluster of the machine, and never
    procps' `kill -KILL -PGID`, which signals every process on Debian 12's procps-ng 4.0.2."""

    def __init__(self, ray, python):
        self.ray = ray
        self.python = python
        self.address = f"127.0.0.1:{RAY_PORT}"
        self.procs = []
        try:
            for head, temp in zip((True, False), RAY_TEMPS):
                shutil.rmtree(temp, ignore_errors=True)
                args = [ray, "start"]
                if head:
                    args += ["--head", f"--port={RAY_PORT}",
                             f"--ray-client-server-port={23000 + RAY_PORT % 1000}",
                             "--include-dashboard=false", "--disable-usage-stats"]
                else:
                    args += [f"--address={self.address}"]
                args += ["--num-cpus=1", f"--temp-dir={temp}", "--block"]
                self.procs.append(subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, start_new_session=True,
                    env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}))
                self.wait_for(len(self.procs))
        except BaseException:
            self.stop()
            raise

    def wait_for(self, nodes, timeout=120):
        """Until `prowl cluster` sees `nodes` live nodes."""
        end = time.time() + timeout
        last = ""
        while time.time() < end:
            out = subprocess.run([CLI, "cluster", self.address, "--json"], capture_output=True,
                                 text=True, env={**os.environ, "PROWL_RAY_PYTHON": self.python})
            if out.returncode == 0 and len(json.loads(out.stdout)["nodes"]) == nodes:
                return
            last = out.stderr.strip()
            time.sleep(0.5)
        raise AssertionError(f"the cluster at {self.address} did not reach {nodes} nodes: {last}")

    def stop(self):
        for proc in self.procs:
            if proc.pid > 1:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            proc.wait()
        self.procs = []
        for temp in RAY_TEMPS:
            shutil.rmtree(temp, ignore_errors=True)


def replay_alerts(app):
    """Runs the Replay view's form and answers the summary's alert count once it is shown."""
    app.click(tid("replay-run"))
    summary = app.wait(tid("replay-summary"), timeout=240)
    assert summary.get_attribute("data-cancelled") == "false", summary.text
    return summary.get_attribute("data-alerts")


def test_replay_on_cluster(app, ws):
    ray = os.environ.get("PROWL_RAY")
    if not ray:
        print("        (not run: PROWL_RAY is not set; tests/setup.sh's ensure_ray installs Ray 2.60)")
        return
    python = os.environ.get("PROWL_RAY_PYTHON") or os.path.join(os.path.dirname(ray), "python")
    cluster = RayCluster(ray, python)
    try:
        # Settings: the address and the Python with the cluster's Ray, checked, then saved.
        app.click(tid("settings-view-open"))
        app.wait(tid("settings-view"))
        for field, value in (("cluster-address", cluster.address), ("cluster-python", python)):
            el = app.wait(tid(field))
            el.send_keys(Keys.CONTROL, "a")
            # Typed as text: Selenium would otherwise upload a value naming a local file.
            with app.driver.file_detector_context(UselessFileDetector):
                el.send_keys(value)
        app.click(tid("cluster-check"))
        result = app.wait(tid("cluster-check-result"), timeout=120)
        assert result.get_attribute("data-nodes") == "2", result.text
        assert result.get_attribute("data-failed") == "0", result.text
        assert result.get_attribute("data-ray").startswith("2."), result.text
        nodes = app.driver.find_elements(By.CSS_SELECTOR, tid("cluster-node"))
        assert [n.get_attribute("data-ok") for n in nodes] == ["true", "true"], [n.text for n in nodes]
        assert app.wait(tid("cluster-cpus")).text == "2", app.wait(tid("cluster-cpus")).text
        app.click(tid("cluster-save"))
        app.wait_until("the address saved",
                       lambda: app.wait(tid("cluster-settings")).get_attribute("data-saved") == cluster.address)
        with open(os.path.join(CONFIG, "cluster.toml"), encoding="utf-8") as handle:
            assert f'address = "{cluster.address}"' in handle.read()
        app.shot("settings-cluster")

        # The Replay view: this machine first, for the alerts to compare with.
        app.click(tid("replay-view-open"))
        app.wait(tid("replay-view"))
        if not app.wait(tid("replay-sources")).get_attribute("value").strip():
            app.click(tid("replay-suggested"))
        app.click(tid("replay-target-local"))
        local = replay_alerts(app)
        # The cluster: the untrusted demo is not sent (neither Run nor Impact).
        app.click(tid("replay-target-cluster"))
        app.wait_until("the cluster target",
                       lambda: app.wait(tid("replay-target")).get_attribute("data-target") == "cluster")
        note = app.wait(tid("replay-cluster-untrusted"))
        assert "cannot be sent to a cluster" in note.text, note.text
        assert not app.wait(tid("replay-run")).is_enabled()
        assert not app.wait(tid("replay-impact")).is_enabled()
        app.shot("replay-cluster-untrusted")
        app.click(tid("replay-trust"))
        app.wait(tid("confirm-dialog"))
        app.click(tid("confirm-ok"))
        app.wait_until("the workspace trusted",
                       lambda: not app.driver.find_elements(By.CSS_SELECTOR, tid("replay-cluster-untrusted")))
        on_cluster = replay_alerts(app)
        run = app.wait(tid("replay-cluster"))
        assert run.get_attribute("data-nodes") == "2", run.text
        assert run.get_attribute("data-lost") == "false", run.text
        assert run.get_attribute("data-failed") == "0", run.text
        assert run.get_attribute("data-done") == run.get_attribute("data-tasks"), run.text
        assert on_cluster == local, (on_cluster, local)
        assert not app.driver.find_elements(By.CSS_SELECTOR, tid("replay-partial"))
        app.shot("replay-cluster")
        # Impact on the cluster: both sides there, the edit's alerts as on this machine.
        assert "both on the cluster" in app.wait(tid("replay-impact")).get_attribute("title")
        threshold_impact(app, ws, "replay-cluster-impact")
    finally:
        cluster.stop()


PANTHER_TOKEN = "prowl-e2e-token-4f1c9a27"
PANTHER_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "remote", "panther_server.py")
STOPPED_PY = RULE_PY
STOPPED_YML = RULE_YML


def panther_server():
    """Our Panther server on loopback (PAT's Python has PyYAML): (process, GraphQL URL, control URL)."""
    python = os.environ.get("PROWL_PAT_PYTHON", "python3")
    proc = subprocess.Popen([python, PANTHER_SERVER, "--token", PANTHER_TOKEN],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line.startswith("READY "), f"the test Panther server did not start: {line!r}"
    url = line[len("READY "):]
    return proc, url, url.replace("/public/graphql", "") + "/_control"


def control(base, path, value=None):
    import urllib.request
    req = urllib.request.Request(f"{base}/{path}", data=json.dumps(value).encode() if value is not None else None,
                                 method="POST" if value is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def seed_instance(ctl, ws):
    """The instance before the upload: an old rule the fork lacks, and the demo's
    CloudTrail-stopped rule at another severity."""
    import base64
    import io
    import zipfile
    spec = read(ws, STOPPED_YML)
    assert "Severity: High" in spec, spec
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(STOPPED_YML, spec.replace("Severity: High", "Severity: Low"))
        z.writestr(STOPPED_PY, read(ws, STOPPED_PY))
        z.writestr("rules/legacy/old_rule.yml",
                   "AnalysisType: rule\nRuleID: Acme.Legacy.OldRule\nFilename: old_rule.py\n"
                   "Enabled: true\nSeverity: Low\nLogTypes:\n  - AWS.CloudTrail\n")
        z.writestr("rules/legacy/old_rule.py", "def rule(event):\n    return False\n")
    control(ctl, "seed", {"zip": base64.b64encode(buf.getvalue()).decode()})


def drift_counts(app):
    d = app.wait(tid("deploy-drift"))
    return {k: int(d.get_attribute(f"data-{k}")) for k in ("add", "change", "remote", "same")}


def test_deploy_view(app, ws, server):
    _, url, ctl = server
    seed_instance(ctl, ws)
    app.click(tid("deploy-view-open"))
    app.wait(tid("deploy-view"))
    # No instance yet: the profile form is shown.
    app.wait(tid("deploy-login"))
    name = app.wait(tid("deploy-login-name"))
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("e2e")
    app.wait(tid("deploy-login-host")).send_keys(url)
    app.wait(tid("deploy-login-token")).send_keys(PANTHER_TOKEN)
    app.shot("deploy-profile")
    app.click(tid("deploy-login-save"))
    conn = app.wait(tid("deploy-connection"))
    assert conn.get_attribute("data-version"), conn.text
    assert url in conn.text, conn.text
    profiles = read(CONFIG, "profiles.toml")
    assert "e2e" in profiles and url in profiles, profiles

    app.click(tid("deploy-preview"))
    counts = drift_counts(app)
    assert counts["remote"] == 1 and counts["change"] == 1 and counts["add"] > 10, counts
    rows = {r.get_attribute("data-id"): r for r in app.driver.find_elements(By.CSS_SELECTOR, tid("deploy-drift-row"))}
    assert rows["Acme.Legacy.OldRule"].get_attribute("data-effect") == "remote_only", rows.keys()
    changed = rows[RULE_ID]
    assert changed.get_attribute("data-effect") == "change", changed.text
    assert "severity" in changed.text and "LOW" in changed.text.upper(), changed.text
    app.shot("deploy-drift")

    app.click(tid("deploy-upload"))
    outcome = app.wait(tid("deploy-outcome"), timeout=240)
    assert outcome.get_attribute("data-uploaded") == "yes", outcome.text
    sent = {i.get_attribute("data-id"): i.get_attribute("data-effect")
            for i in app.driver.find_elements(By.CSS_SELECTOR, tid("deploy-sent-item"))}
    assert sent[RULE_ID] == "change", sent
    assert sent.get("Demo.Okta.MFAResetThenAdminGrant") == "add", sent
    assert "Acme.Legacy.OldRule" not in sent, sent
    summary = app.wait(tid("deploy-summary")).text
    assert "Rules" in summary, summary
    ops = [e["op"] for e in control(ctl, "log")]
    for op in ("transpileSimpleDetectionsToPython", "transpileFilters", "testCorrelationRuleYAML",
               "uploadDetectionEntitiesAsync"):
        assert op in ops, ops
    assert ops.index("testCorrelationRuleYAML") < ops.index("uploadDetectionEntitiesAsync"), ops
    log = app.wait(tid("deploy-progress")).text
    assert "Upload succeeded" in log, log
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")
    app.shot("deploy-uploaded")
    # The preview, read again after the upload: only the old rule differs.
    app.wait_until("the preview after the upload",
                   lambda: (lambda c: c if c["add"] == 0 and c["change"] == 0 else None)(drift_counts(app)))
    assert drift_counts(app)["remote"] == 1

    app.click(tid("deploy-choose"))
    app.click(tid("deploy-delete"))
    dialog = app.wait(tid("confirm-dialog"))
    assert "Acme.Legacy.OldRule" in dialog.text, dialog.text
    app.shot("deploy-delete-confirm")
    app.click(tid("confirm-ok"))
    deleted = app.wait(tid("deploy-deleted"))
    assert "Acme.Legacy.OldRule" in deleted.text, deleted.text
    app.wait_until("the preview after the deletion", lambda: drift_counts(app)["remote"] == 0)
    store = control(ctl, "store")
    assert not any("Acme.Legacy.OldRule" in k for k in store), list(store)
    app.shot("deploy-deleted")
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")
    # The token: in the keyring only.
    for root, _, files in os.walk(CONFIG):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                assert PANTHER_TOKEN.encode() not in fh.read(), f
    for f in os.listdir(ARTIFACTS):
        if f.endswith(".log"):
            with open(os.path.join(ARTIFACTS, f), "rb") as fh:
                assert PANTHER_TOKEN.encode() not in fh.read(), f


UPSTREAM_CONFLICT = "Demo.Okta.BruteForceLogins"
UPSTREAM_CONFLICT_SPEC = "rules/okta_rules/demo_okta_brute_force_logins.yml"


def upstream_rows(app):
    return {r.get_attribute("data-id"): r for r in app.driver.find_elements(By.CSS_SELECTOR, tid("upstream-row"))}


def test_upstream_view(app, ws):
    # What the earlier steps left uncommitted (a replayed event's test) is committed first: a
    # merge starts only on a clean working tree.
    if git(ws, "status", "--porcelain").strip():
        git(ws, "add", "-A")
        git(ws, "commit", "-q", "-m", "Work before the upstream merge")
    head = git(ws, "rev-parse", "HEAD").strip()
    app.click(tid("upstream-view-open"))
    app.wait(tid("upstream-view"))
    # The plan before anything is written: counts per class, the items that need the user.
    counts = app.wait_until(
        "the plan's counts",
        lambda: {c.get_attribute("data-class"): int(c.get_attribute("data-count"))
                 for c in app.driver.find_elements(By.CSS_SELECTOR, tid("upstream-count"))})
    assert counts.get("changed_both", 0) >= 3 and counts.get("new_upstream") == 1, counts
    assert app.wait(tid("upstream-status")).get_attribute("data-state") == "planned"
    assert app.wait(tid("upstream-filter-needs_you")).get_attribute("data-count") == "2"
    assert set(upstream_rows(app)) == {RULE_ID, UPSTREAM_CONFLICT}, set(upstream_rows(app))
    app.shot("upstream-plan")

    # Fetch: the remote's release tags come into the target picker.
    app.click(tid("upstream-fetch"))
    app.wait_until("the releases in the target picker",
                   lambda: "v2.0.0" in [o.get_attribute("value") for o in app.driver.find_elements(
                       By.CSS_SELECTOR, tid("upstream-target") + " option")])
    app.wait(tid("upstream-fetch"))

    # The merge: written into the working tree, then checked by the workers.
    app.click(tid("upstream-merge"))
    app.wait_until("the merge written",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("upstream-status"))
                   .get_attribute("data-state") == "in_progress", timeout=240)
    check = app.wait(tid("upstream-check"), timeout=240)
    assert int(check.get_attribute("data-failed")) >= 1, check.text
    assert "<<<<<<< fork" in read(ws, UPSTREAM_CONFLICT_SPEC)
    assert app.wait(tid("upstream-commit")).get_attribute("disabled") is not None

    # The Threshold conflict: its three sides, the check beside it, the three-way view.
    app.click(tid("upstream-row", f'[data-id="{UPSTREAM_CONFLICT}"]'))
    app.wait(tid("upstream-detail", f'[data-id="{UPSTREAM_CONFLICT}"]'))
    conflict = app.wait(tid("upstream-conflict", '[data-key="Threshold"]'))
    assert conflict.get_attribute("data-state") == "open"
    assert "Threshold: 20" in app.wait(tid("upstream-conflict-fork")).text
    assert "Threshold: 10" in app.wait(tid("upstream-conflict-upstream")).text
    assert app.wait(tid("upstream-item-check")).get_attribute("data-ok") == "false"
    assert "conflict markers" in app.wait(tid("upstream-check-invalid")).text
    merge_view = app.wait(tid("upstream-merge-view"))
    app.wait_until("both sides of the three-way view",
                   lambda: len(merge_view.find_elements(By.CSS_SELECTOR, ".cm-editor")) == 2)
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")
    app.shot("upstream-conflict")
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", merge_view)
    app.shot("upstream-three-way")
    # The fork's value: the spec loads again and its tests pass.
    app.click(tid("upstream-conflict", '[data-key="Threshold"] ') + tid("upstream-take", '[data-take="ours"]'))
    app.wait_until("the conflict answered for the fork",
                   lambda: app.driver.find_element(
                       By.CSS_SELECTOR, tid("upstream-conflict", '[data-key="Threshold"]'))
                   .get_attribute("data-state") == "ours")
    app.wait_until("the item checked again",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("upstream-item-check"))
                   .get_attribute("data-ok") == "true")
    spec = read(ws, UPSTREAM_CONFLICT_SPEC)
    assert "Threshold: 20" in spec and "<<<<<<<" not in spec, spec
    assert app.wait(tid("upstream-filter-needs_you")).get_attribute("data-count") == "1"

    # The deleted rule's decision: Prowl's proposal taken; then nothing is open.
    app.click(tid("upstream-accept"))
    app.wait_until("nothing open",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("upstream-filter-needs_you"))
                   .get_attribute("data-count") == "0")
    commit = app.wait(tid("upstream-commit"))
    app.wait_until("commit enabled", lambda: commit.get_attribute("disabled") is None)
    app.shot("upstream-ready")
    commit.click()
    app.wait_until("the merge commit",
                   lambda: git(ws, "rev-parse", "HEAD").strip() != head, timeout=60)
    parents = git(ws, "log", "-1", "--format=%P").split()
    assert len(parents) == 2 and parents[0] == head, parents
    upstream_main = git(ws, "rev-parse", "refs/remotes/upstream/main").strip()
    assert parents[1] == upstream_main, (parents, upstream_main)
    subject = git(ws, "log", "-1", "--format=%s").strip()
    assert subject.startswith("Merge upstream upstream/main"), subject
    assert git(ws, "status", "--porcelain").strip() == "", git(ws, "status", "--porcelain")
    app.wait_until("undo offered",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("upstream-undo"))
                   .get_attribute("disabled") is None)
    assert app.wait(tid("upstream-status")).get_attribute("data-state") == "up_to_date"
    assert app.wait(tid("upstream-merge")).get_attribute("disabled") is not None
    app.shot("upstream-committed")
    run_palette_command(app, "Toggle the panel", "View: Toggle the panel")


def hostile_pack():
    """A copy of tests/fixtures/sandbox to open untrusted, as rules-workspace/tests/sandbox.rs
    prepares it: its network detection aims at a server listening here, its file detection at
    a private key and a canary in a home folder of its own. Without the runaway detection,
    which only the run's time limit (minutes in the app) would stop."""
    base = tempfile.mkdtemp(prefix="prowl-e2e-hostile-")
    ws = os.path.join(base, "hostile-pack")
    shutil.copytree(os.path.join(FIXTURES, "sandbox"), ws)
    for name in ("runaway.py", "runaway.yml"):
        os.remove(os.path.join(ws, "rules", name))
    home = os.path.join(base, "home")
    os.makedirs(os.path.join(home, ".ssh"))
    write(home, ".ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    write(home, "canary.txt", "original\n")
    write(ws, "rules/files.yml", read(ws, "rules/files.yml").replace("/HOME", home))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    write(ws, "rules/network.yml", read(ws, "rules/network.yml").replace("port: 9", f"port: {port}"))
    return ws, home, listener


def filter_results(app, text):
    box = app.wait(f'{tid("result-panel")} input[aria-label="Filter results"]')
    box.clear()
    box.send_keys(text)


def attempt_lines(app, detection_id):
    """The attempt lines of the detection's expanded result rows."""
    return [a.text for row in app.driver.find_elements(
                By.CSS_SELECTOR, tid("result-row", f'[data-id="{detection_id}"]'))
            for a in row.find_elements(By.CSS_SELECTOR, tid("attempt"))]


def test_untrusted_pack(app, ws, home, listener):
    banner = app.wait(tid("trust-banner"))
    assert banner.get_attribute("data-reason") == "not_trusted", banner.get_attribute("data-reason")
    for words in ("Restricted mode: this workspace is not trusted.", "no network",
                  "none of your environment variables", "prowl audit"):
        assert words in banner.text, banner.text
    assert app.wait(tid("status-trust")).get_attribute("data-trusted") == "false"
    app.click(tid("welcome-run-all"))
    app.wait(tid("status-last-run"), timeout=120)
    # Network: marked, listed with its place, and the place opens the line.
    filter_results(app, "Sandbox.Network")
    badge = app.wait(tid("result-row", f'[data-id="Sandbox.Network"] {tid("result-attempts")}'))
    assert int(badge.get_attribute("data-count")) >= 1, badge.get_attribute("data-count")
    lines = app.wait_until("the network attempt listed", lambda: attempt_lines(app, "Sandbox.Network"))
    assert any(l.startswith("network — ") and l.endswith("at rules/network.py:7") for l in lines), lines
    app.wait(tid("explorer-item", f'[data-id="Sandbox.Network"] {tid("badge-attempts")}'))
    app.shot("untrusted-pack")
    # Files: the private key read and the write into the home folder, each at its line.
    filter_results(app, "Sandbox.Files")
    lines = app.wait_until(
        "both file attempts listed",
        lambda: (lambda ls: ls if any(l.endswith("rules/files.py:9") for l in ls)
                 and any(l.endswith("rules/files.py:6") for l in ls) else None)(
                     attempt_lines(app, "Sandbox.Files")),
    )
    assert all(l.startswith("file — ") for l in lines if "files.py" in l), lines
    filter_results(app, "Sandbox.Network")
    app.click(tid("result-row", f'[data-id="Sandbox.Network"] {tid("attempt-place")}'))
    app.wait(tid("detection-view"))
    app.wait_until(
        "the code editor at line 7",
        lambda: app.driver.execute_script(
            VIEW_JS + "const v = view(arguments[0]); if (!v) return null;"
            "return v.state.doc.lineAt(v.state.selection.main.head).number;",
            tid("code-editor")) == 7,
    )
    # Blocked, not only recorded.
    try:
        conn, _ = listener.accept()
        conn.close()
        raise AssertionError("a detection of the untrusted pack connected to the listening server")
    except BlockingIOError:
        pass
    assert read(home, "canary.txt") == "original\n"
    assert sorted(os.listdir(home)) == [".ssh", "canary.txt"], os.listdir(home)

    # Trust the folder through the banner: asked once, then Trusted, remembered in PROWL_CONFIG.
    app.click(tid("trust-folder"))
    dialog = app.wait(tid("confirm-dialog"))
    assert "remembered for" in dialog.text, dialog.text
    app.click(tid("confirm-ok"))
    app.wait_until("the status bar saying Trusted",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("status-trust"))
                   .get_attribute("data-trusted") == "true")
    assert "Trusted" in app.driver.find_element(By.CSS_SELECTOR, tid("status-trust")).text
    assert not app.driver.find_elements(By.CSS_SELECTOR, tid("trust-banner"))
    with open(os.path.join(CONFIG, "trust.json"), encoding="utf-8") as handle:
        trusted = [f["path"] for f in json.load(handle)["folders"]]
    assert os.path.realpath(ws) in trusted, trusted
    app.shot("trusted-pack")
    # And revoke it from the status bar: restricted again, the banner back.
    app.click(tid("status-trust"))
    app.wait(tid("confirm-dialog"))
    app.click(tid("confirm-ok"))
    app.wait_until("the status bar saying Restricted",
                   lambda: app.driver.find_element(By.CSS_SELECTOR, tid("status-trust"))
                   .get_attribute("data-trusted") == "false")
    app.wait(tid("trust-banner"))


def run_steps(app, steps, failures):
    # PROWL_E2E_ONLY=TEXT runs only the steps whose name holds TEXT (for working on one step;
    # tests/run-e2e.sh never sets it).
    only = os.environ.get("PROWL_E2E_ONLY", "")
    for name, step in steps:
        if only and only not in name:
            print(f"not run {name} (PROWL_E2E_ONLY)")
            continue
        started = time.time()
        try:
            step()
            print(f"ok      {name} ({time.time() - started:.1f} s)")
        except Exception as err:  # pylint: disable=broad-except
            failures.append(name)
            print(f"FAILED  {name}: {type(err).__name__}: {err}")
            try:
                app.shot("failed-" + name.replace(" ", "-"))
            except WebDriverException:
                pass


def main():
    if not os.path.isdir(CONFIG) or os.listdir(CONFIG):
        print("PROWL_CONFIG must name an empty folder (tests/run-e2e.sh makes one): the app "
              "trusts a folder during the test and must not use your own trust store")
        return 2
    ws = os.path.join(tempfile.mkdtemp(prefix="prowl-e2e-"), "acme-detections")
    subprocess.run([CLI, "demo", ws], check=True, capture_output=True)
    git(ws, "config", "user.name", "E2E Tester")
    git(ws, "config", "user.email", "e2e@prowl.invalid")
    app = App(ws)
    server = panther_server()
    failures = []
    steps = [
        ("explorer", lambda: test_explorer(app)),
        ("break and fix a rule", lambda: test_break_and_fix(app, ws)),
        ("add a test through the test editor", lambda: test_add_test_changes_only_its_lines(app, ws)),
        ("hostile log value shown as text", lambda: test_hostile_value_is_text(app)),
        ("a Simple Detection's tests, evaluated locally", lambda: test_simple_detection_evaluated_locally(app)),
        ("edits made outside the app", lambda: test_outside_edits(app, ws)),
        ("commit from the git view", lambda: test_commit(app, ws)),
        ("light and dark themes", lambda: test_dark_theme(app)),
        ("the Python environment view", lambda: test_environment_view(app)),
        ("the Audit view", lambda: test_audit_view(app)),
        ("the Replay view", lambda: test_replay_view(app, ws)),
        ("Impact: an edit's alerts against the last commit", lambda: test_replay_impact(app, ws)),
        ("the Deploy view: profile, drift, upload, delete", lambda: test_deploy_view(app, ws, server)),
        ("the Upstream view: merge, resolve, accept, commit", lambda: test_upstream_view(app, ws)),
        ("replay on a Ray cluster: settings, check, trust, run, Impact", lambda: test_replay_on_cluster(app, ws)),
    ]
    try:
        run_steps(app, steps, failures)
    finally:
        app.quit()
        server[0].kill()
    # A second start of the app, on an untrusted hostile pack.
    hostile, home, listener = hostile_pack()
    app = App(hostile)
    try:
        run_steps(app, [("an untrusted pack: restricted, attempts shown, then trusted",
                         lambda: test_untrusted_pack(app, hostile, home, listener))], failures)
    finally:
        app.quit()
        listener.close()
    print(f"screenshots: {ARTIFACTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
