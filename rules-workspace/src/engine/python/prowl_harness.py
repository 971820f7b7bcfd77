"""Prowl's unit-test harness: runs Panther detection tests the way `panther_analysis_tool test`
(PAT 1.6.3) does, by driving Panther's runtime library `panther-core` 0.16.2.

This module is Prowl's own code (Apache-2.0). panther-core is AGPL: it is only *imported at run
time*, never copied. It needs the standard library plus panther-core (and what panther-core itself
imports: jsonpath-ng, python-dateutil). It does not need PAT.

The Rust worker keeps one warm interpreter per worker process and calls, with plain
JSON-serialisable dicts:

    load_workspace(req) -> dict     once per test run (and again after a helper or model changed)
    run_detection(req)  -> dict     once per detection, in PAT's order
    shutdown()          -> dict     before the worker exits (removes the harness's temp folder)

Nothing here writes to the real stdout/stderr: every byte user code prints is returned in a field.

It is one module (about 1,100 lines with this documentation) because the worker embeds it as one
source text and it must stay importable without the rest of Prowl; its sections (load_workspace,
run_detection and the tests, tracebacks, analyze_globals, check_python) follow PAT's own order
and are marked below. The answers' shapes are typed on the Rust side in `engine/messages.rs`.

Paths
-----
Paths in requests should be spelled the way PAT spells them, because a few PAT messages contain
them (a missing global file crashes PAT with `[Errno 2] No such file or directory: '<path>'`, a
data model's `File not found: <path>` line): PAT uses `os.path.join(<folder as os.walk saw it from
--path>, Filename)`, e.g. `./rules/x.py` for `pat test --path .`, or an absolute path when --path
was absolute. Relative paths are resolved against the process's working directory, which
`load_workspace` sets to `root`. Tracebacks are reported with absolute paths.

load_workspace(req)
-------------------
req:
    root                    str   workspace root; the harness chdirs there (PAT runs from it).
    globals                 list  [{id: GlobalID, path: the global's .py}] in PAT's order (after
                                  --filter; globals under */global_helpers are never filtered).
    data_models             list  [{id: DataModelID, spec_path: spec file as PAT reports it,
                                  path: .py or None (no Filename), enabled: bool,
                                  log_types: [str], mappings: [{Name, Path} | {Name, Method}]}]
                                  in PAT's order (the key case of mappings does not matter).
    available_destinations  list  [str] the --available-destination names (may be empty).
answer:
    output   str   what PAT prints on stdout during this setup, in order: data-model module output
                   (PAT imports each model module twice, so its prints appear twice), the lines
                   "\t[ERROR] Conflicting Enabled LogTypes\n", "\t[ERROR] Error loading module,
                   skipping\n", "\t[ERROR] File not found: <path>, skipping\n" (each followed by
                   print's own newline). Printed before anything else of the run.
    stderr   str   what PAT would print on stderr during setup (log lines "LEVEL: message" and
                   module output written to sys.stderr).
    invalid  list  [{spec_path, message}] data-model entries for PAT's "Invalid Tests Summary"
                   (message = str(error)); PAT adds them after the loader's own invalid specs.
    fatal    None | {type, message, warning, exit_code}: PAT itself would crash here (a data
                   model naming a missing Method, a bad JSONPath, a missing global file...). PAT
                   then prints nothing more on stdout (no summary), logs `warning` (`WARNING:
                   Unhandled exception: "<message>"`) on stderr and exits with `exit_code` (1).
Globals are copied to <harness temp>/panther-path/globals/<GlobalID>.py, that folder is appended
to sys.path (once), and modules are imported lazily by user code and cached in sys.modules until
the next load_workspace (shared module-level state, exactly like one PAT run). Reloading first
removes the previous and the new GlobalIDs from sys.modules (PAT's cleanup does the latter too).
Call load_workspace at the start of every test run if you want PAT's fresh-process state for
globals; it is cheap (file copies, no imports except data-model modules).

run_detection(req)
------------------
req:
    id             str   RuleID / PolicyID (derived detections: the derived RuleID).
    analysis_type  str   "rule" | "scheduled_rule" | "policy" (the spec's AnalysisType).
    path           str   the .py to run (derived detections: the base's file), or
    body           str   source text (derived detection with a remote base, transpiled simple
                         detection); PAT writes it to <tmp>/detections/<safe id>.py and imports it.
    source_path    str   optional: file to name in tracebacks for a `body` detection.
    filters        list  optional: the rule's InlineFilters as a `prowl_match` program (Prowl's
                         local verdicts; PAT runs without them when it has no backend).
    spec_path      str   the spec file (echoed back).
    create_alert   bool | None   the spec's CreateAlert (None when the key is absent).
    tests          list  [{name, expected_result: bool, log | resource: any JSON,
                         mocks: [{objectName, returnValue}]}] - already filtered by --test-names.
                         `resource` is used when the key is present, else `log` (PAT's rule); an
                         absent `log` is PAT's KeyError('Log') out-of-band failure.
The event per test is built as PAT 1.6.3 builds it: policies get the raw dict (mutable,
case-sensitive); rules *and scheduled rules* get a PantherEvent bound to the data model of the
event's literal `p_log_type` (PAT 1.6.3 does bind data models for scheduled rules, whatever
panther-spec.md §2.3 says; tests/fixtures/engine/scheduled-rules shows it).
answer:
    id, spec_path          echoed.
    module_output  str     stdout written while the module was imported (module-level prints, and
                           globals imported for the first time). PAT prints it *before* the
                           detection's ID line, outside any capture.
    module_stderr  str     the same for stderr (+ log lines), which PAT sends to its stderr.
    matcher        str     "rule" or "policy".
    elapsed_ms     float   wall time of this request in the worker (a scheduling hint).
    setup_error    None | {type, message, traceback}: the detection could not be built (syntax
                   error, import error, no rule()/policy(), missing file). `message` is PAT's
                   str(exception): PAT prints the ID, then print("\n"), and adds
                   (spec_path, message) to Invalid; no tests run and `results` is empty.
    fatal          None | {type, message, warning, exit_code}: PAT's process would end here:
                   module-level sys.exit(n) exits with n (sys.exit() with 0!) and no summary;
                   `warning` is what goes to stderr ("" for an int code).
    results        list, one per test, in order:
      name             str
      passed           bool   PAT's verdict ([PASS]/[FAIL] on the test line).
      out_of_band      None | {kind: "AttributeError"|"Unexpected", message, warning}: PAT's own
                       code failed for this test (mock target missing, Log not a mapping, ...).
                       PAT logs `warning` on stderr, appends the test name to the failed list and
                       prints NO result line and no captured output for it.
      captured         str    the test's stdout+stderr, exactly what PAT prints (followed by
                              print's newline) before the test line when non-empty.
      discarded_output str    output an out-of-band test produced before failing (PAT drops it).
      logs             str    log lines PAT would send to stderr while this test ran.
      functions        list   the function lines PAT prints under the test line, in PAT's order
                              (rule|policy, title, dedup, alertContext, description, reference,
                              severity, runbook, destinations):
          {name, passed, output_text (exactly what follows "[<fn>] "; for an error it is
           "<ExcType>: <str(exc)>"), error: None | {type, message: str(exc),
           traceback: [{file, line, function, user, definition?}]}}
      failed_entries   list   what PAT appends to its failed list for this test, in order
                              (["t1:title", ...], or [name] for out_of_band).
      suppressed_errors list  errors that are NOT printed but exist: unique() errors (still fail
                              the test: the unique() quirk), errors of functions blanked by
                              CreateAlert: false or not shown because the test expects no alert.
      trigger_alert, detection_output, errored   raw panther-core values for the IDE.
Tracebacks drop frames inside panther_core, importlib and this module; `user` is true for files
of the workspace (detection, globals, data models; temp copies are mapped back to the source).
When panther-core itself raised (wrong return type, bad severity, unknown destination) no user
frame exists, and one frame with `definition: true` points at the function's `def` line.
A SyntaxError gets a last frame at the offending file and line.

What the Rust worker must do
----------------------------
* Before Python starts, point fd 1 away from the frame channel (dup the real stdout for frames,
  dup2 stderr onto 1): C-level writes (os.write(1), subprocesses, C extensions) and writes to
  sys.__stdout__ bypass the harness's capture. PAT would print such bytes straight to its stdout;
  the harness cannot place them, they only reach the worker's stderr.
* Use the interpreter/venv that has panther-core 0.16.2 (site.addsitedir on its site-packages).
  Do not put '' or the workspace on sys.path (PAT's sys.path[0] is its bin folder: a rule cannot
  import a sibling file); load_workspace removes '' and '.' entries if present.
* Leave DISABLE_DETECTION_OUTPUT unset (panther-core reads it at import; PAT relies on it unset).
* Import this module once; call load_workspace, then run_detection per detection in PAT's order
  (globals' module-level output and state depend on which detection imports them first), then
  shutdown() at the end of the worker's life. One workspace per worker process (the harness
  chdirs, sets tempfile.tempdir and installs a root logging handler, like PAT does).
* Bytecode: like PAT, importing a detection writes rules/__pycache__ into the workspace unless
  sys.dont_write_bytecode / PYTHONDONTWRITEBYTECODE or a PYTHONPYCACHEPREFIX is set (Prowl's
  worker sets the prefix to its cache; shutdown() removes the temp copies' bytecode there); the harness
  drops a stale .pyc itself when a file's content changed, whichever is chosen.
* Everything around these calls is PAT's orchestration and stays on the caller's side (the
  reference implementation is tests/engine/harness_check.py, `reference_main`): --filter,
  --skip-disabled-tests, --test-names (checked before a derived detection inherits its base's
  tests), the base lookup of derived detections (among the filtered detections only), skipped
  simple detections, the --minimum-tests entries, printing, the summary and the exit code.
"""

import ast
import collections.abc
import contextlib
import dataclasses
import hashlib
import importlib
import importlib.util
import io
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from unittest.mock import MagicMock, patch

__all__ = ["load_workspace", "run_detection", "analyze_globals", "check_python", "shutdown"]

# The file name this module's code objects carry (works when loaded from a string, too).
_HARNESS_FILE = (lambda: None).__code__.co_filename

# PAT's logging format (logging.basicConfig in panther_analysis_tool.main.run).
_LOG_FORMAT = "%(levelname)s: %(message)s"

# Analysis types this harness builds a panther-core object for.
_TYPES = {"rule": "RULE", "scheduled_rule": "SCHEDULED_RULE", "policy": "POLICY"}


class _FakeDestination:  # pylint: disable=too-few-public-methods
    """What PAT passes for each --available-destination: panther-core reads `destination_id`."""

    def __init__(self, destination_id, destination_display_name):
        self.destination_id = destination_id
        self.destination_display_name = destination_display_name


class _LogSink(logging.Handler):
    """Root handler standing in for PAT's stderr StreamHandler: collects formatted lines into
    whatever list is current, so log records never reach the real stderr or a test's capture."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter(_LOG_FORMAT))
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record) + "\n")
        except Exception:  # pylint: disable=broad-except
            self.handleError(record)

    def take(self):
        text = "".join(self.lines)
        self.lines = []
        return text


class _Core:  # pylint: disable=too-few-public-methods
    """panther-core, imported once per process."""

    def __init__(self):
        # pylint: disable=import-outside-toplevel
        import panther_core
        import panther_core.data_model as data_model
        import panther_core.rule as rule
        import panther_core.util as util
        from panther_core import testing
        from panther_core.enriched_event import PantherEvent
        from panther_core.exceptions import UnknownDestinationError
        from panther_core.policy import Policy

        self.dir = os.path.dirname(os.path.abspath(panther_core.__file__)) + os.sep
        self.data_model_mod = data_model
        self.rule_mod = rule
        self.util = util
        self.testing = testing
        self.DataModel = data_model.DataModel  # pylint: disable=invalid-name
        self.Rule = rule.Rule  # pylint: disable=invalid-name
        self.Policy = Policy  # pylint: disable=invalid-name
        self.PantherEvent = PantherEvent  # pylint: disable=invalid-name
        self.UnknownDestinationError = UnknownDestinationError  # pylint: disable=invalid-name
        # Field order of TestResultsPerFunction is PAT's print order.
        self.function_fields = [f.name for f in dataclasses.fields(testing.TestResultsPerFunction)]
        # Compile each JSONPath once per process: DataModel calls `parse` for every mapping on
        # every (re)load; parsed paths are immutable, so memoising is safe.
        original_parse = data_model.parse
        cache = {}

        def cached_parse(text):
            try:
                return cache[text]
            except KeyError:
                pass
            except TypeError:  # unhashable: let jsonpath-ng raise its own error
                return original_parse(text)
            value = original_parse(text)
            cache[text] = value
            return value

        data_model.parse = cached_parse
        _reuse_jsonpath_parse_tables()


def _reuse_jsonpath_parse_tables():
    """jsonpath-ng 1.5.3 rebuilds its PLY LALR tables on every parse (~20 ms each: 3.4 s for the
    158 mappings of panther-analysis's data models, in every worker). Build them once per parser
    class and start symbol; a PLY parser is reusable and jsonpath-ng's grammar actions keep no
    state on the parser object, so every parse gives the same result as before."""
    try:
        import ply.yacc  # pylint: disable=import-outside-toplevel
        from jsonpath_ng import parser as jp  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    if getattr(jp.JsonPathParser.parse_token_stream, "_prowl_cached", False):
        return
    tables = {}

    def parse_token_stream(self, token_iterator, start_symbol="jsonpath"):
        key = (type(self), start_symbol, bool(self.debug))
        table = tables.get(key)
        if table is None:
            table = ply.yacc.yacc(
                module=self,
                debug=self.debug,
                write_tables=0,
                start=start_symbol,
                errorlog=jp.logger,
            )
            tables[key] = table
        return table.parse(lexer=jp.IteratorToTokenStream(token_iterator))

    parse_token_stream._prowl_cached = True  # pylint: disable=protected-access
    jp.JsonPathParser.parse_token_stream = parse_token_stream


class _State:  # pylint: disable=too-many-instance-attributes
    """Per-process state: temp folders, current globals and data models, destinations."""

    def __init__(self):
        self.core = _Core()
        # One private temp folder per worker (PAT: setup_temp's tmp-PAT-<uuid>). panther-core's
        # own folders for body-based detections and data models go inside it, so concurrent
        # workers never write the same file.
        self.tmp = tempfile.mkdtemp(prefix=f"prowl-harness-{os.getpid()}-")
        tempfile.tempdir = self.tmp
        self.helper_dir = os.path.join(self.tmp, "panther-path", "globals")
        self.detection_dir = os.path.join(self.tmp, "detections")
        self.datamodel_dir = os.path.join(self.tmp, "datamodels")
        # pylint: disable=protected-access
        self.core.rule_mod._DETECTION_FOLDER = self.detection_dir
        self.core.data_model_mod._DATAMODEL_FOLDER = self.datamodel_dir
        self.global_ids = []
        self.data_models = {}  # log type -> DataModel
        self.destinations = {}
        self.ignore_exception_types = [self.core.UnknownDestinationError]
        self.file_map = {}  # temp copy -> source file, for tracebacks
        self.user_files = set()
        self.root = None
        self.seen_sources = {}  # detection source path -> content digest
        self.seen_bodies = {}  # body temp path -> body
        self.sink = _LogSink()
        root_logger = logging.getLogger()
        root_logger.addHandler(self.sink)
        root_logger.setLevel(logging.INFO)


_STATE = None


def _state():
    global _STATE  # pylint: disable=global-statement
    if _STATE is None:
        _STATE = _State()
        sys.addaudithook(_audit)
        os.environ = _WatchedEnviron(os.environ)
    return _STATE


# ---------------------------------------------------------------------------------------------
# attempts: what workspace code tried to do outside evaluating events (recorded here; the
# sandbox around the worker is what blocks it)
# ---------------------------------------------------------------------------------------------

_KINDS = {
    "socket.connect": "network",
    "socket.bind": "network",
    "socket.getaddrinfo": "network",
    "socket.gethostbyname": "network",
    "socket.gethostbyname_ex": "network",
    "socket.gethostbyaddr": "network",
    "open": "file",
    "os.remove": "file",
    "os.rename": "file",
    "os.mkdir": "file",
    "os.chmod": "file",
    "shutil.rmtree": "file",
    "subprocess.Popen": "process",
    "os.system": "process",
    "os.exec": "process",
    "os.posix_spawn": "process",
    "os.spawn": "process",
    "os.fork": "process",
    "os.forkpty": "process",
    "os.kill": "process",
    "ctypes.dlopen": "native code",
    "ctypes.dlsym": "native code",
    "compile": "generated code",
    "exec": "generated code",
    "pickle.find_class": "deserialisation",
    "marshal.loads": "deserialisation",
}
# Events whose Python caller must itself be workspace code (the import machinery compiles and
# executes every module, which is not an attempt).
_DIRECT = frozenset({"compile", "exec", "marshal.loads", "pickle.find_class"})
_MAX_ATTEMPTS = 50
_ATTEMPTS = []
_ATTEMPTS_DROPPED = [0]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_OS_FILE = os.path.abspath(os.__file__)
_OWN_FILES = frozenset(
    {"prowl_harness.py", "prowl_worker.py", "prowl_replay.py", "prowl_cluster.py"}
)


def _take_attempts():
    """The attempts recorded since the last call (with a note of how many were dropped)."""
    taken = list(_ATTEMPTS)
    if _ATTEMPTS_DROPPED[0]:
        taken.append({"kind": "note", "event": "dropped", "detail": f"{_ATTEMPTS_DROPPED[0]} more attempts were not recorded", "file": None, "line": None})
    _ATTEMPTS.clear()
    _ATTEMPTS_DROPPED[0] = 0
    return taken


def _user_place(st, frame, direct):
    """(file, line) of the innermost workspace frame from `frame` outwards (or of `frame`
    itself when `direct`)."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename in _OWN_FILES:
            return None  # Prowl's own harness, not workspace code
        if filename != _OS_FILE:
            mapped = _map_file(st, filename)
            if _is_user_file(st, mapped):
                return mapped, frame.f_lineno
            if direct:
                return None
        frame = frame.f_back
    return None


def _allowed_read(st, path):
    roots = [st.root or "", st.tmp, sys.prefix, sys.base_prefix, "/proc/self", "/dev/urandom", "/dev/null"]
    roots.extend(p for p in sys.path if p)
    return any(r and (path == r or path.startswith(r.rstrip(os.sep) + os.sep)) for r in roots)


def _audit(event, args):
    kind = _KINDS.get(event)
    if kind is None or _STATE is None:
        return
    st = _STATE
    try:
        detail = None
        quiet = [st.tmp, sys.pycache_prefix or ""]

        def is_quiet(path):
            if not isinstance(path, (str, bytes)):
                return True  # a descriptor, or a directory descriptor's child
            path = os.path.abspath(os.fsdecode(path))
            return any(q and path.startswith(q.rstrip(os.sep) + os.sep) for q in quiet)

        if kind == "file" and event != "open" and args and is_quiet(args[0]):
            return  # the import machinery writing bytecode, the harness's own temp folder
        if event == "open":
            path, mode, flags = (list(args) + [None, None, None])[:3]
            if not isinstance(path, (str, bytes)):
                return
            path = os.path.abspath(os.fsdecode(path))
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if is_quiet(path):
                return
            if writing:
                detail = f"open {path} for writing"
            elif not _allowed_read(st, path):
                detail = f"open {path}"
            else:
                return
        elif event == "exec":
            code = args[0] if args else None
            if getattr(code, "co_filename", "") not in ("<string>", "<unknown>"):
                return
            detail = "exec() of generated code"
        elif event == "compile":
            detail = f"compile() of generated code ({args[1] if len(args) > 1 else ''})"
        else:
            shown_args = args[1:] if event.startswith("socket.") else args
            shown = ", ".join(repr(a)[:120] for a in shown_args if not hasattr(a, "fileno"))
            detail = f"{event}({shown})"
        place = _user_place(st, sys._getframe(1), event in _DIRECT)  # pylint: disable=protected-access
        if place is None:
            return
        _record(kind, event, detail, place)
    except Exception:  # pylint: disable=broad-except
        return  # an audit hook must never break the code it watches


def _record(kind, event, detail, place):
    if len(_ATTEMPTS) >= _MAX_ATTEMPTS:
        _ATTEMPTS_DROPPED[0] += 1
        return
    _ATTEMPTS.append({"kind": kind, "event": event, "detail": detail[:300], "file": place[0], "line": place[1]})


class _WatchedEnviron(collections.abc.MutableMapping):
    """os.environ, recording reads made by workspace code (the sandbox gives workers an
    environment without the user's tokens; a detection reading one is worth knowing)."""

    def __init__(self, environ):
        self._environ = environ

    def _note(self, key):
        if _STATE is None:
            return
        place = _user_place(_STATE, sys._getframe(2), False)  # pylint: disable=protected-access
        if place is not None:
            _record("environment", "os.environ", f"read of the environment variable {key}", place)

    def __getitem__(self, key):
        self._note(key)
        return self._environ[key]

    def get(self, key, default=None):
        self._note(key)
        return self._environ.get(key, default)

    def __setitem__(self, key, value):
        self._environ[key] = value

    def __delitem__(self, key):
        del self._environ[key]

    def __iter__(self):
        self._note("(all of them)")
        return iter(self._environ)

    def __len__(self):
        return len(self._environ)

    def copy(self):
        return self._environ.copy()

    def __getattr__(self, name):
        return getattr(self._environ, name)


@contextlib.contextmanager
def _capture(out, err):
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield


# Most characters of output kept per capture (a test's prints, a module's import-time prints).
# PAT prints everything; past this Prowl keeps the start and says how much it dropped, so a rule
# printing in a loop cannot fill the worker's memory or the answer frame.
CAPTURE_LIMIT = 16 * 1024 * 1024


class _BoundedText(io.StringIO):
    """A StringIO that keeps at most `limit` characters and counts the rest."""

    def __init__(self, limit=None):
        super().__init__()
        self.limit = CAPTURE_LIMIT if limit is None else limit
        self.size = 0
        self.dropped = 0

    def write(self, text):
        if not isinstance(text, str):
            return super().write(text)  # raises StringIO's own TypeError
        given = len(text)
        room = self.limit - self.size
        if len(text) > room:
            self.dropped += len(text) - max(room, 0)
            text = text[: max(room, 0)]
        self.size += len(text)
        if text:
            super().write(text)
        return given

    def getvalue(self):
        value = super().getvalue()
        if self.dropped:
            value += f"\n[prowl: {self.dropped} more characters of output were dropped]\n"
        return value


def _abs(path):
    return os.path.abspath(path) if path else path


def _forget_pyc(source):
    """Drop the cached bytecode of `source`. Python validates a .pyc by whole-second mtime and
    size, so an edit saved within the same second with the same size would run stale code."""
    try:
        os.unlink(importlib.util.cache_from_source(source))
    except (OSError, ValueError, NotImplementedError):
        pass


def _fatal(err):
    """PAT crashing: an Exception reaches PAT's run() (logged, exit 1); a SystemExit or
    KeyboardInterrupt ends the process without the log line, like Python does."""
    if isinstance(err, SystemExit):
        code = err.code
        if code is None:
            exit_code, stderr = 0, ""
        elif isinstance(code, int):
            exit_code, stderr = code, ""
        else:
            exit_code, stderr = 1, f"{code}"
        return {"type": "SystemExit", "message": str(err), "warning": stderr,
                "exit_code": exit_code}
    if not isinstance(err, Exception):
        return {"type": type(err).__name__, "message": str(err), "warning": "",
                "exit_code": 130 if isinstance(err, KeyboardInterrupt) else 1}
    return {
        "type": type(err).__name__,
        "message": str(err),
        "warning": f'WARNING: Unhandled exception: "{err}"',
        "exit_code": 1,
    }


# ---------------------------------------------------------------------------------------------
# load_workspace
# ---------------------------------------------------------------------------------------------


def load_workspace(req):
    """Set up globals, data models and destinations as PAT's test_analysis does."""
    st = _state()
    out, err = _BoundedText(), _BoundedText()
    # PAT's logging state at the start of a run: root at INFO with one "LEVEL: message" handler
    # (user code may have changed the level during the previous run in this process).
    root_logger = logging.getLogger()
    root_logger.setLevel(logging.INFO)
    if st.sink not in root_logger.handlers:
        root_logger.addHandler(st.sink)
    st.sink.take()
    answer = {"output": "", "stderr": "", "invalid": [], "fatal": None}

    root = req.get("root")
    if root:
        os.chdir(root)
        st.root = os.path.abspath(root)
    for entry in ("", "."):
        while entry in sys.path:
            sys.path.remove(entry)

    globals_ = req.get("globals") or []
    data_models = req.get("data_models") or []
    names = req.get("available_destinations") or []

    # Destinations (PAT: a FakeDestination with a random UUID per --available-destination name;
    # without any, UnknownDestinationError is ignored).
    st.destinations = {
        name: _FakeDestination(str(uuid.uuid4()), name) for name in names
    }
    st.ignore_exception_types = [] if names else [st.core.UnknownDestinationError]

    st.file_map = {}
    st.user_files = set()
    st.data_models = {}
    _take_attempts()
    try:
        with _capture(out, err):
            _setup_globals(st, globals_)
            answer["invalid"] = _setup_data_models(st, data_models)
    except Exception as exc:  # pylint: disable=broad-except
        answer["fatal"] = _fatal(exc)
    answer["attempts"] = _take_attempts()
    missing = os.environ.get("PROWL_SANDBOX_MISSING")
    if missing:
        answer["sandbox_note"] = missing
    answer["output"] = out.getvalue()
    answer["stderr"] = err.getvalue() + st.sink.take()
    if answer["fatal"]:
        answer["stderr"] += answer["fatal"]["warning"] + "\n"
    return answer


def _setup_globals(st, globals_):
    # Forget the previous run's globals, then (PAT's cleanup_global_helpers) the new IDs.
    new_ids = [g["id"] for g in globals_]
    for gid in st.global_ids + new_ids:
        sys.modules.pop(gid, None)
    st.global_ids = new_ids
    if os.path.exists(st.helper_dir):
        shutil.rmtree(st.helper_dir)
    os.makedirs(st.helper_dir)
    if st.helper_dir not in sys.path:
        sys.path.append(st.helper_dir)  # appended: installed packages win over globals
    for item in globals_:
        gid, source = item["id"], item["path"]
        copy = os.path.join(st.helper_dir, f"{gid}.py")
        shutil.copyfile(source, copy)  # a missing file crashes PAT: the caller gets `fatal`
        st.file_map[copy] = _abs(source)
        st.user_files.add(_abs(source))
        if gid in sys.modules:  # only if something re-imported it since the cleanup above
            logging.warning(
                "module name collision: global (%s) has same name as a module in python path",
                gid,
            )
            importlib.reload(sys.modules[gid])
    importlib.invalidate_caches()


def _setup_data_models(st, data_models):
    invalid = []
    for item in data_models:
        if not item.get("enabled"):
            continue
        dm_id, spec_path, path = item["id"], item.get("spec_path"), item.get("path")
        body = None
        if path:
            # PAT first imports the file on its own (analysis_utils.load_module), under the
            # module name path.split(".")[0], and skips the model if that fails.
            load_error = _probe_module(st, path)
            if load_error is not None:
                invalid.append({"spec_path": spec_path, "message": str(load_error)})
                continue
            with open(path, "r", encoding="utf-8") as handle:
                body = handle.read()
            st.user_files.add(_abs(path))
        params = {
            "id": dm_id,
            "mappings": [{k.lower(): v for k, v in m.items()} for m in item.get("mappings") or []],
            "versionId": "",
        }
        if body is not None:
            params["body"] = body
            temp_copy = st.core.util.id_to_path(st.datamodel_dir, dm_id)
            _refresh_body(st, temp_copy, body)
            st.file_map[temp_copy] = _abs(path)
        # Errors here are not caught by PAT (it crashes); they propagate to load_workspace.
        model = st.core.DataModel(params)
        for log_type in item.get("log_types") or []:
            if log_type in st.data_models:
                print("\t[ERROR] Conflicting Enabled LogTypes\n")
                invalid.append(
                    {
                        "spec_path": spec_path,
                        "message": f"Conflicting Enabled LogType [{log_type}] "
                        f"in Data Model [{dm_id}]",
                    }
                )
                continue
            st.data_models[log_type] = model
    return invalid


def _probe_module(st, path):
    """PAT's first import of a data-model file; returns the error (after printing PAT's line)."""
    _refresh_source(st, path)
    spec = importlib.util.spec_from_file_location(path.split(".")[0], path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError as err:
        print("\t[ERROR] File not found: " + path + ", skipping\n")
        return err
    except Exception as err:  # pylint: disable=broad-except
        print("\t[ERROR] Error loading module, skipping\n")
        return err
    return None


# ---------------------------------------------------------------------------------------------
# run_detection
# ---------------------------------------------------------------------------------------------

# panther-core result fields -> the name PAT prints (the matcher is "rule" or "policy").
_PRINTABLE = {
    "detectionFunction": None,
    "titleFunction": "title",
    "dedupFunction": "dedup",
    "alertContextFunction": "alertContext",
    "descriptionFunction": "description",
    "referenceFunction": "reference",
    "severityFunction": "severity",
    "runbookFunction": "runbook",
    "destinationsFunction": "destinations",
}
# DetectionResult exception attribute per printable function name.
_EXCEPTION_ATTR = {
    "title": "title_exception",
    "dedup": "dedup_exception",
    "alertContext": "alert_context_exception",
    "description": "description_exception",
    "reference": "reference_exception",
    "severity": "severity_exception",
    "runbook": "runbook_exception",
    "destinations": "destinations_exception",
    "unique": "unique_exception",
}
# Functions PAT blanks when CreateAlert is false (everything but the matcher and alertContext).
_BLANKED_BY_SUPPRESS = (
    "dedupFunction",
    "destinationsFunction",
    "runbookFunction",
    "titleFunction",
    "severityFunction",
    "descriptionFunction",
    "referenceFunction",
)


def run_detection(req):
    """Build one detection and run its tests as PAT's setup_run_tests/_run_tests do."""
    started = time.perf_counter()
    answer = _run_detection(req)
    answer["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return answer


def _run_detection(req):
    st = _state()
    det_id = req["id"]
    analysis_type = req.get("analysis_type", "rule")
    answer = {
        "id": det_id,
        "spec_path": req.get("spec_path"),
        "module_output": "",
        "module_stderr": "",
        "matcher": "policy" if analysis_type == "policy" else "rule",
        "setup_error": None,
        "fatal": None,
        "results": [],
    }
    if analysis_type not in _TYPES:
        raise ValueError(f"analysis_type {analysis_type!r} is not one of {sorted(_TYPES)}")

    config = {
        "id": det_id,
        "analysisType": _TYPES[analysis_type],
        "versionId": "0000-0000-0000",
        "filters": None,
    }
    source_file = None
    if req.get("body") is not None:
        config["body"] = req["body"]
        temp_copy = st.core.util.id_to_path(st.detection_dir, det_id)
        _refresh_body(st, temp_copy, req["body"])
        if req.get("source_path"):
            source_file = _abs(req["source_path"])
            st.file_map[temp_copy] = source_file
    else:
        config["path"] = req["path"]
        source_file = _abs(req["path"])
        _refresh_source(st, req["path"])
    if source_file:
        st.user_files.add(source_file)
    if req.get("create_alert") is not None:
        config["suppressAlert"] = not bool(req["create_alert"])
    if req.get("filters") is not None:
        # InlineFilters compiled by Prowl (PAT would ask the server to transpile them):
        # panther-core runs them before rule(), as at run time.
        config["filters"] = [sys.modules["prowl_match"].inline_filter(req["filters"])]
    if req.get("backend_filters") is not None:
        # InlineFilters as a Panther instance transpiled them (PAT's `_backend_filters`).
        config["filters"] = req["backend_filters"]

    # Build the detection: the module runs here, outside any test capture (PAT prints its output
    # straight to stdout, before the detection ID).
    out, err = _BoundedText(), _BoundedText()
    st.sink.take()
    _take_attempts()
    detection = None
    try:
        with _capture(out, err):
            detection = (st.core.Policy if analysis_type == "policy" else st.core.Rule)(config)
    except BaseException as exc:  # pylint: disable=broad-except
        # Detection() catches Exceptions from the module itself; sys.exit() at module level
        # (SystemExit) escapes it and ends PAT's process with that exit code.
        answer["fatal"] = _fatal(exc)
    answer["module_output"] = out.getvalue()
    answer["module_stderr"] = err.getvalue() + st.sink.take()
    answer["attempts"] = _take_attempts()
    if detection is None:
        return answer
    answer["matcher"] = detection.matcher_function_name
    if detection.setup_exception:
        exc = detection.setup_exception
        answer["setup_error"] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "traceback": _frames(st, exc),
        }
        return answer

    for test in req.get("tests") or []:
        answer["results"].append(_run_test(st, detection, test))
    return answer


def _refresh_body(st, temp_copy, body):
    """The same for source text panther-core writes to `temp_copy` before importing it."""
    if st.seen_bodies.get(temp_copy) != body:
        _forget_pyc(temp_copy)
        st.seen_bodies[temp_copy] = body


def _refresh_source(st, path):
    """Forget the .pyc of a detection file whose content changed since the last call (an edit
    can keep the whole-second mtime and the size Python's .pyc check relies on)."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.blake2b(handle.read(), digest_size=16).digest()
    except OSError:
        return  # panther-core reports the missing file
    absolute = _abs(path)
    if st.seen_sources.get(absolute) not in (None, digest):
        _forget_pyc(absolute)
    st.seen_sources[absolute] = digest


def _run_test(st, detection, test):
    # pylint: disable=too-many-locals
    core = st.core
    name = test.get("name")
    result_entry = {
        "name": name,
        "passed": False,
        "out_of_band": None,
        "captured": "",
        "discarded_output": "",
        "logs": "",
        "functions": [],
        "failed_entries": [],
        "suppressed_errors": [],
        "trigger_alert": None,
        "detection_output": None,
        "errored": None,
    }
    buf = _BoundedText()
    st.sink.take()
    _take_attempts()
    try:
        # Same operations, in the same order, as PAT's _run_tests: each can raise the
        # AttributeError/KeyError PAT reports out of band.
        if "resource" in test:
            entry = test["resource"]
        elif "log" in test:
            entry = test["log"]
        else:
            raise KeyError("Log")
        log_type = entry.get("p_log_type", "") or ""
        mocks = test.get("mocks") or []
        mock_methods = {
            m["objectName"]: MagicMock(return_value=m["returnValue"])
            for m in mocks
            if "objectName" in m and "returnValue" in m
        }
        event = entry
        if detection.detection_type.upper() != "POLICY":
            event = core.PantherEvent(entry, st.data_models.get(log_type))
        with _capture(buf, buf):
            if mock_methods:
                with patch.multiple(detection.module, **mock_methods):
                    result = detection.run(event, {}, st.destinations, batch_mode=False)
            else:
                result = detection.run(event, {}, st.destinations, batch_mode=False)
    except (AttributeError, KeyError) as err:
        result_entry["out_of_band"] = {
            "kind": "AttributeError",
            "message": str(err),
            "warning": f"WARNING: AttributeError: {{{err}}} for [{detection.detection_id}]"
            f" in test [{name}]",
        }
    except Exception as err:  # pylint: disable=broad-except
        result_entry["out_of_band"] = {
            "kind": "Unexpected",
            "message": str(err),
            "warning": f"WARNING: Unexpected exception: {{{err}}}",
        }
    result_entry["attempts"] = _take_attempts()
    if result_entry["out_of_band"]:
        result_entry["discarded_output"] = buf.getvalue()
        result_entry["failed_entries"] = [name]
        result_entry["logs"] = st.sink.take() + result_entry["out_of_band"]["warning"] + "\n"
        return result_entry
    result_entry["captured"] = buf.getvalue()
    result_entry["logs"] = st.sink.take()

    testing = core.testing
    spec = testing.TestSpecification(
        id=name,
        name=name,
        data=entry,
        mocks=mocks,
        expectations=testing.TestExpectations(detection=test["expected_result"]),
    )
    test_result = testing.TestCaseEvaluator(spec, result).interpret(
        ignore_exception_types=st.ignore_exception_types
    )
    if detection.suppress_alert:
        for field in _BLANKED_BY_SUPPRESS:
            setattr(test_result.functions, field, None)

    shown = set()
    for field in core.function_fields:
        function_result = getattr(test_result.functions, field)
        if function_result is None:
            continue
        printable = _PRINTABLE.get(field) or detection.matcher_function_name
        if field not in _PRINTABLE:  # a field added by another panther-core version
            printable = field.replace("Function", "")
        shown.add(printable)
        raw = (
            result.detection_exception
            if field == "detectionFunction"
            else getattr(result, _EXCEPTION_ATTR.get(printable, ""), None)
        )
        if function_result.error is not None:
            line = {
                "name": printable,
                "passed": False,
                "output_text": f"{function_result.error.message}",
                "error": _error(st, raw, detection, printable),
            }
        elif not function_result.matched:
            line = {
                "name": printable,
                "passed": False,
                "output_text": f"{function_result.output}",
                "error": None,
            }
        else:
            line = {
                "name": printable,
                "passed": True,
                "output_text": f"{function_result.output}",
                "error": None,
            }
        if not line["passed"]:
            result_entry["failed_entries"].append(f"{name}:{printable}")
        result_entry["functions"].append(line)

    for printable, attr in _EXCEPTION_ATTR.items():
        exc = getattr(result, attr, None)
        if exc is not None and printable not in shown:
            result_entry["suppressed_errors"].append(
                {"name": printable, "error": _error(st, exc, detection, printable)}
            )

    result_entry["passed"] = bool(test_result.passed)
    result_entry["trigger_alert"] = result.trigger_alert
    result_entry["detection_output"] = result.detection_output
    result_entry["errored"] = result.errored
    return result_entry


# ---------------------------------------------------------------------------------------------
# tracebacks
# ---------------------------------------------------------------------------------------------


def _error(st, exc, detection, function):
    frames = _frames(st, exc) if exc is not None else []
    if not any(f["user"] for f in frames):
        # Raised by panther-core itself (wrong return type, bad severity): point at the user's
        # function definition instead.
        name = {"alertContext": "alert_context"}.get(function, function)
        func = getattr(detection.module, name, None)
        code = getattr(func, "__code__", None)
        if code is not None:
            frames.append(
                {
                    "file": _map_file(st, code.co_filename),
                    "line": code.co_firstlineno,
                    "function": code.co_name,
                    "user": True,
                    "definition": True,
                }
            )
    return {
        "type": type(exc).__name__ if exc is not None else None,
        "message": str(exc) if exc is not None else None,
        "traceback": frames,
    }


def _map_file(st, filename):
    absolute = os.path.abspath(filename) if filename and not filename.startswith("<") else filename
    return st.file_map.get(absolute, absolute)


def _is_user_file(st, filename):
    if filename in st.user_files:
        return True
    return bool(st.root) and filename.startswith(st.root + os.sep)


def _frames(st, exc):
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = frame.filename
        if (
            filename == _HARNESS_FILE
            or os.path.basename(filename) in _OWN_FILES
            or filename.startswith(st.core.dir)
            or filename.startswith("<frozen importlib")
        ):
            continue
        mapped = _map_file(st, filename)
        frames.append(
            {
                "file": mapped,
                "line": frame.lineno,
                "function": frame.name,
                "user": _is_user_file(st, mapped),
            }
        )
    if isinstance(exc, SyntaxError) and exc.filename:
        mapped = _map_file(st, exc.filename)
        frames.append(
            {
                "file": mapped,
                "line": exc.lineno,
                "function": "<module>",
                "user": _is_user_file(st, mapped),
            }
        )
    return frames


# ---------------------------------------------------------------------------------------------
# analyze_globals: which helpers tie detections to one worker
# ---------------------------------------------------------------------------------------------

# Methods that change a list, dict, set or similar object in place.
_MUTATORS = frozenset(
    "append extend insert remove pop popitem clear update setdefault add discard "
    "difference_update intersection_update symmetric_difference_update appendleft extendleft "
    "rotate sort reverse write writelines seed".split()
)
# Top-level statements that cannot print or change state when the module is imported.
_QUIET_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Pass,
)


def analyze_globals(req):
    """Static traits of global helpers, for running detections on several workers.

    In one PAT run a helper is imported once and shared by every detection after it, so a helper
    that prints when imported, or keeps state its functions change, makes the output depend on
    which detection ran first. Such a helper is `sticky`: the detections that import it must run
    in PAT's order in one worker. The check is syntactic (Python's ast) and errs towards sticky:
      noisy    a top-level statement other than imports, definitions, assignments, `pass`, a
               docstring, or `if`/`try`/`with` blocks made of those (a call like print()).
      stateful a function or method rebinds a module name (`global`), assigns or deletes an item
               or attribute of a module-level name, or calls a mutating method on one
               (`CACHE.append(x)`, `SEEN.add(x)`, `STATE["k"] = v`).
    req: {globals: [{id, path}]}; answer: {traits: {id: {sticky, reasons: [str]}}}.
    """
    traits = {}
    for item in req.get("globals") or []:
        reasons = []
        try:
            with open(item["path"], "rb") as handle:
                tree = ast.parse(handle.read(), item["path"])
        except (OSError, SyntaxError, ValueError) as err:
            reasons.append(f"cannot be analysed: {type(err).__name__}")
        else:
            reasons.extend(_noisy(tree.body))
            reasons.extend(_stateful(tree))
        traits[item["id"]] = {"sticky": bool(reasons), "reasons": reasons}
    return {"traits": traits}


def _noisy(body):
    reasons = []
    for node in body:
        if isinstance(node, _QUIET_STATEMENTS):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        if isinstance(node, ast.If):
            reasons.extend(_noisy(node.body) + _noisy(node.orelse))
        elif isinstance(node, ast.Try):
            for block in [node.body, node.orelse, node.finalbody] + [h.body for h in node.handlers]:
                reasons.extend(_noisy(block))
        else:
            reasons.append(f"line {node.lineno}: runs `{type(node).__name__}` when imported")
    return reasons


def _module_names(tree):
    names = set()
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


def _base_name(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _lazy_cache(func, name):
    """True when every assignment to `name` in `func` sits under an `if` that tests `name`
    (`global T; if T is None: T = build()`): a memo that does not change what callers get."""

    def assignments_ok(nodes, guarded):
        for node in nodes:
            if isinstance(node, ast.If):
                tests_name = any(
                    isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.test)
                )
                if not assignments_ok(node.body, guarded or tests_name):
                    return False
                if not assignments_ok(node.orelse, guarded):
                    return False
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if not guarded:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, (ast.Store, ast.Del)):
                        return False
            for field in ("body", "orelse", "finalbody", "handlers"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.AST):
                    if not assignments_ok([b for b in block if isinstance(b, ast.stmt)] or
                                          [x for h in block for x in getattr(h, "body", [])], guarded):
                        return False
        return True

    return assignments_ok(func.body, False)


def _stateful(tree):
    module_names = _module_names(tree)
    reasons = []
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        args = func.args
        local = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = func.body if isinstance(func.body, list) else [func.body]
        for node in (n for stmt in body for n in ast.walk(stmt)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                local.add(node.id)
        shared = module_names - local
        for node in (n for stmt in body for n in ast.walk(stmt)):
            target = None
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                rebound = [n for n in node.names if not _lazy_cache(func, n)]
                if rebound:
                    reasons.append(f"line {node.lineno}: `global {', '.join(rebound)}`")
                continue
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    if isinstance(t, (ast.Attribute, ast.Subscript)) and _base_name(t) in shared:
                        target = _base_name(t)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _MUTATORS
                and _base_name(node.func.value) in shared
            ):
                target = _base_name(node.func.value)
            if target is not None:
                reasons.append(f"line {node.lineno}: changes module-level `{target}`")
    return reasons


def check_python(req):
    """Compiles `text` as the module file `path` would be (nothing runs): the syntax error PAT
    would hit when loading the detection, with its place. Answer: {syntax_error: None | {type,
    message (str(exc), PAT's text), msg, line, col, end_line, end_col}}."""
    try:
        compile(req.get("text") or "", req.get("path") or "<buffer>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: source with NUL bytes
        return {
            "syntax_error": {
                "type": type(exc).__name__,
                "message": str(exc),
                "msg": getattr(exc, "msg", str(exc)),
                "line": getattr(exc, "lineno", None) or 1,
                "col": getattr(exc, "offset", None) or 1,
                "end_line": getattr(exc, "end_lineno", None),
                "end_col": getattr(exc, "end_offset", None),
            }
        }
    return {"syntax_error": None}


def shutdown(_req=None):
    """Remove the harness's temp folder and forget the globals."""
    global _STATE  # pylint: disable=global-statement
    if _STATE is not None:
        for gid in _STATE.global_ids:
            sys.modules.pop(gid, None)
        if _STATE.helper_dir in sys.path:
            sys.path.remove(_STATE.helper_dir)
        logging.getLogger().removeHandler(_STATE.sink)
        shutil.rmtree(_STATE.tmp, ignore_errors=True)
        if sys.pycache_prefix:  # the bytecode of the temp copies, mirrored under the prefix
            mirrored = os.path.join(sys.pycache_prefix, _STATE.tmp.lstrip(os.sep))
            shutil.rmtree(mirrored, ignore_errors=True)
        if tempfile.tempdir == _STATE.tmp:
            tempfile.tempdir = None
        _STATE = None
    return {}
