#!/usr/bin/env python3
"""Reference printer and differential checker for Prowl's test harness (prowl_harness.py).

Run it with PAT's interpreter (it imports PAT's loader):

    PY=~/.cache/prowl/pat-1.6.3/bin/python
    $PY tests/engine/harness_check.py                  # every case below; exit 1 on any mismatch
    $PY tests/engine/harness_check.py --case mocks     # the cases whose name starts with "mocks"
    $PY tests/engine/harness_check.py --list
    $PY tests/engine/harness_check.py --show CASE      # print both outputs of one case
    # one ad-hoc run, any workspace, any PAT test flags:
    $PY tests/engine/harness_check.py --workspace DIR -- --minimum-tests 2 --filter Severity=High

For each case it runs, in the fixture workspace (cwd = the workspace, `--path .`):
  1. the real `pat --skip-version-check test --path . <flags>` (PAT 1.6.3, no API token);
  2. this file in `--reference` mode: PAT's own loader (analysis_utils.load_analysis,
     filter_analysis, validate_packs; run in a `--dump-specs` child process and handed over as
     JSON, so the harness process never imports PAT - like the Rust worker) feeds globals, data
     models and detections to the harness, and the functions below print what PAT prints from
     the harness's structured answers;
and requires the same exit code, the same stdout after normalisation (absolute temp folders
-> <TMP>, UUIDs -> <UUID>: PAT gives each --available-destination a random UUID) and the same
WARNING:/ERROR: lines on stderr, in order (whether the whole stderr is identical is reported
too; it is for every case below). Both run with PYTHONDONTWRITEBYTECODE=1 and without PANTHER_*
variables.

The reference printer is the specification the Rust printer reimplements: `reference_main`
orchestrates the run (PAT's test_analysis / setup_run_tests / run_tests order), `print_result`
is PAT's _print_test_result and `print_summary` PAT's print_summary. Colours are raw ANSI
(colorama's Fore.GREEN/Fore.RED + Style.RESET_ALL), always, even when piped.

Cases (workspace, PAT flags) - all must agree:
"""

import argparse
import difflib
import importlib.util
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(REPO, "rules-workspace", "src", "engine", "python", "prowl_harness.py")

# (case name, workspace folder relative to the repository, PAT flags after `test --path .`)
E = "tests/fixtures/engine/"
CASES = [
    ("mocks", E + "mocks", []),
    ("data-models", E + "data-models", []),
    ("data-model-crash", E + "data-model-crash", []),
    ("events", E + "events", []),
    ("alert-functions", E + "alert-functions", []),
    ("alert-functions-destinations", E + "alert-functions",
     ["--available-destination", "Slack", "--available-destination", "PagerDuty"]),
    ("alert-functions-sorted", E + "alert-functions", ["--sort-test-results"]),
    ("alert-functions-failures-only", E + "alert-functions", ["--show-failures-only"]),
    ("policies", E + "policies", []),
    ("scheduled-rules", E + "scheduled-rules", []),
    ("derived", E + "derived", []),
    ("derived-filter-derived-only", E + "derived", ["--filter", "RuleID=Fixture.Derived.Child"]),
    ("derived-skip-disabled", E + "derived", ["--skip-disabled-tests"]),
    ("derived-test-names", E + "derived", ["--test-names", "base admin login"]),
    ("setup-errors", E + "setup-errors", []),
    ("module-exit", E + "module-exit", []),
    ("flags", E + "flags", []),
    ("flags-skip-disabled", E + "flags", ["--skip-disabled-tests"]),
    ("flags-minimum-tests", E + "flags", ["--minimum-tests", "2"]),
    ("flags-test-names", E + "flags", ["--test-names", "login alerts",
                                       "--test-names", "shared name"]),
    ("flags-filter-severity", E + "flags", ["--filter", "Severity=High,Critical"]),
    ("flags-filter-inverted", E + "flags", ["--filter", "Tags!=Noisy", "--minimum-tests", "1"]),
    ("flags-filter-nothing", E + "flags", ["--filter", "RuleID=No.Such.Rule"]),
    ("flags-bad-filter-key", E + "flags", ["--filter", "PackID=x"]),
    ("globals", E + "globals", []),
    ("globals-filter", E + "globals", ["--filter", "RuleID=Fixture.Globals.Counter"]),
    ("globals-filter-nothing", E + "globals", ["--filter", "RuleID=No.Such.Rule"]),
    # the validation fixtures and the demo workspace, as they are
    *[(f"validation-{name}", f"tests/fixtures/workspaces/{name}", [])
      for name in ("code-files", "discovery", "ids-and-sets", "json-schema", "queries-and-packs",
                   "schema-keys", "schema-values", "yaml-dialect")],
    ("demo-base", "rules-workspace/demo/base", []),
    ("demo-base-sorted", "rules-workspace/demo/base", ["--sort-test-results",
                                                       "--minimum-tests", "2"]),
]
__doc__ += "".join(f"    {name:30} {folder:40} {shlex.join(flags)}\n"
                   for name, folder, flags in CASES)

PASS = "\x1b[32mPASS\x1b[0m"  # colorama Fore.GREEN + "PASS" + Style.RESET_ALL
FAIL = "\x1b[31mFAIL\x1b[0m"  # colorama Fore.RED + "FAIL" + Style.RESET_ALL


# =============================================================================================
# Reference mode: PAT's `test` output produced from the harness's answers
# =============================================================================================


def parse_pat_flags(argv):
    """The subset of `pat test` options the reference understands."""
    parser = argparse.ArgumentParser(prog="harness_check.py --reference")
    parser.add_argument("--path", default=".")
    parser.add_argument("--filter", dest="filters", action="append", default=[])
    parser.add_argument("--minimum-tests", type=int, default=0)
    parser.add_argument("--skip-disabled-tests", action="store_true")
    parser.add_argument("--available-destination", action="append", default=[])
    parser.add_argument("--sort-test-results", action="store_true")
    parser.add_argument("--show-failures-only", action="store_true")
    parser.add_argument("--test-names", action="append", default=[])
    parser.add_argument("--ignore-files", action="append", default=[])
    parser.add_argument("--ignore-extra-keys", action="store_true")
    return parser.parse_args(argv)


def load_harness():
    spec = importlib.util.spec_from_file_location("prowl_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["prowl_harness"] = module
    return module


def dump_specs(argv):
    """Loader half of the reference, run in its own process because it imports PAT: PAT's own
    discovery, validation, --filter and pack checks, written to stdout as JSON (the same data
    the Rust side gets from its own loader). The harness half never imports PAT, like the
    worker."""
    # pylint: disable=import-outside-toplevel
    args = parse_pat_flags(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.INFO)
    logging.getLogger("sqlfluff").setLevel(logging.WARNING)  # as PAT's global options do
    from panther_analysis_tool.analysis_utils import filter_analysis, load_analysis
    from panther_analysis_tool.core.parse import parse_filter_args
    from panther_analysis_tool.validation import validate_packs

    def items(classified):
        return [{"file_name": c.file_name, "dir_name": c.dir_name, "spec": c.analysis_spec}
                for c in classified]

    def pairs(invalid):
        return [[name, str(error)] for name, error in invalid]

    try:
        filters, filters_inverted = parse_filter_args(args.filters or None)
    except ValueError as err:  # PAT: escapes the command -> "Unhandled exception", exit 1
        return {"crash": f'WARNING: Unhandled exception: "{err}"'}
    logging.info("Testing analysis items in %s", args.path)
    specs, invalid_specs = load_analysis(
        args.path, False, [], args.ignore_files, args.ignore_extra_keys, workers=1
    )
    if specs.empty():
        return {"early_exit": pairs(invalid_specs) or [f"Nothing to test in {args.path}"]}
    specs = specs.apply(lambda items: filter_analysis(items, filters, filters_inverted))
    if specs.empty():
        return {"early_exit": [f"No analysis in {args.path} matched filters {filters} - "
                               f"{filters_inverted}"]}
    # Without an API token PAT only logs that it skips these (stderr, INFO).
    if specs.simple_detections:
        logging.info("No backend client provided, skipping tests for simple detections.")
    if any("InlineFilters" in c.analysis_spec
           for c in specs.detections + specs.simple_detections):
        logging.info("No backend client provided, skipping InlineFilters during testing")
    return {
        "invalid": pairs(invalid_specs),
        "globals": items(specs.globals),
        "data_models": items(specs.data_models),
        # Without an API token: simple detections keep no `body` (skipped below), InlineFilters
        # are ignored and nothing is reordered.
        "detections": items(specs.detections + specs.simple_detections),
        "invalid_packs": pairs(validate_packs(specs)),
    }


def reference_main(argv):
    """PAT's `test` run from the harness's answers. What goes to stdout, in order:

    1. load_workspace's `output` (data-model module prints, "\\t[ERROR] ..." lines).
    2. For each detection in load order (rules, scheduled rules, policies, correlation rules as
       the loader found them, then simple detections):
       - disabled under --skip-disabled-tests: nothing (Skipped list);
       - --test-names matching none of its tests: "<ID>\\n\\tNo tests match the provided test
         names: <Python list repr>\\n\\n" (Skipped list);
       - derived detection without a (filtered-in) base, simple detection without a body:
         nothing (counted as passed; the derived one logs a WARNING);
       - the module's `module_output`, then "<ID>\\n" (the ID only in unsorted mode);
       - setup error: "\\n\\n" (print("\\n"), in both modes) and an Invalid entry;
       - no `Tests` key: "\\tNo tests configured for <ID>\\n";
       - per test, unless out of band: `captured` + "\\n" when non-empty, the test line, its
         function lines (sorted mode: buffered instead);
       - "\\n" after the detection (unsorted mode).
    3. Sorted mode (--sort-test-results or --show-failures-only): the "passed" group (skipped
       with --show-failures-only), then the "errored" group, each by detection ID; per ID
       "<ID>\\n", then per test its captured output, test and function lines, and "\\n".
    4. The summary (print_summary). Exit code: 1 if anything is invalid, else 1 if the failed
       list has any detection, else 0.
    """
    # pylint: disable=too-many-locals,too-many-branches,too-many-statements
    args = parse_pat_flags(argv)
    # Stderr: PAT logs "LEVEL: message" lines there. Here they come from the loader process, from
    # the harness's answers (`stderr`, `module_stderr`, `logs`) and from log() below; only the
    # WARNING/ERROR lines are compared.
    dump = subprocess.run([sys.executable, os.path.abspath(__file__), "--dump-specs", "--", *argv],
                          capture_output=True, text=True, check=True)
    sys.stderr.write(dump.stderr)
    loaded = json.loads(dump.stdout)
    if "crash" in loaded:
        sys.stderr.write(loaded["crash"] + "\n")
        return 1
    if "early_exit" in loaded:
        return finish(1, [tuple(e) if isinstance(e, list) else e for e in loaded["early_exit"]])
    invalid_specs = [tuple(pair) for pair in loaded["invalid"]]
    detections = loaded["detections"]

    harness = load_harness()
    # PAT's sys.path[0] is its bin folder; ours would be tests/engine. Rules must not see it.
    if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
        sys.path.pop(0)

    # ---- setup: globals, then data models (PAT: setup_global_helpers, setup_data_models) ----
    setup = harness.load_workspace(
        {
            "root": os.getcwd(),
            "globals": [
                {"id": g["spec"]["GlobalID"],
                 "path": os.path.join(g["dir_name"], g["spec"]["Filename"])}
                for g in loaded["globals"]
            ],
            "data_models": [
                {
                    "id": d["spec"]["DataModelID"],
                    "spec_path": d["file_name"],
                    "path": (os.path.join(d["dir_name"], d["spec"]["Filename"])
                             if "Filename" in d["spec"] else None),
                    "enabled": d["spec"]["Enabled"],
                    "log_types": d["spec"]["LogTypes"],
                    "mappings": d["spec"]["Mappings"],
                }
                for d in loaded["data_models"]
            ],
            "available_destinations": args.available_destination,
        }
    )
    check_json(setup)
    sys.stderr.write(setup["stderr"])
    sys.stdout.write(setup["output"])  # data-model module prints, "[ERROR] Conflicting ..." lines
    if setup["fatal"]:  # PAT crashes: no summary (the WARNING is already in setup["stderr"])
        return setup["fatal"]["exit_code"]
    invalid_specs.extend((i["spec_path"], i["message"]) for i in setup["invalid"])

    sort_mode = args.sort_test_results or args.show_failures_only
    # Sorted mode buffers (detection id -> [(result, captured)]) per outcome.
    buffered = {"passed": defaultdict(list), "errored": defaultdict(list)}
    # failed: detection id -> entries, in first-append order (PAT's defaultdict(list)).
    failed = defaultdict(list)
    skipped = []  # (spec file, spec)
    invalid_detections = []

    # Base detections are looked up by RuleID among the *filtered* detections only.
    by_rule_id = {}
    for item in detections:
        if item["spec"].get("RuleID", ""):
            by_rule_id[item["spec"]["RuleID"]] = item

    # ---- per detection, in load order (PAT: setup_run_tests) ----
    for item in detections:
        spec, spec_file = item["spec"], item["file_name"]
        if args.skip_disabled_tests and not spec.get("Enabled", False):
            skipped.append((spec_file, spec))
            continue
        det_id = spec.get("PolicyID") or spec["RuleID"]
        # --test-names: checked before a derived detection inherits its base's tests.
        if args.test_names:
            if not set(args.test_names) & {t["Name"] for t in spec.get("Tests", [])}:
                print(spec.get("RuleID") or spec.get("PolicyID") or spec_file)
                print(f"\tNo tests match the provided test names: {args.test_names}\n")
                skipped.append((spec_file, spec))
                continue
        is_correlation = spec.get("AnalysisType") == "correlation_rule"
        if is_correlation:  # needs a backend: no results, counted as skipped
            skipped.append((spec_file, spec))
        request = {"id": det_id, "analysis_type": spec["AnalysisType"], "spec_path": spec_file,
                   "create_alert": spec["CreateAlert"] if "CreateAlert" in spec else None}
        base_id = spec.get("BaseDetection", "")
        if base_id != "":
            base = by_rule_id.get(base_id)
            if base is not None and "Tests" not in spec and base["spec"].get("Tests"):
                spec["Tests"] = base["spec"]["Tests"]  # inherited only when it has none
            if base is None:  # (a remote lookup needs an API token)
                log("WARNING", f"Skipping Derived Detection '{spec.get('RuleID')}', could not "
                               f"lookup base detection '{base_id}'")
                continue  # counted as passed
            request["path"] = os.path.join(base["dir_name"], base["spec"]["Filename"])
        elif (spec.get("Detection") is not None and not is_correlation
              and spec.get("AnalysisType") != "policy"):
            continue  # simple detection without transpiled body: silently skipped, "passed"
        elif not is_correlation:
            request["path"] = os.path.join(item["dir_name"], spec["Filename"])

        tests = spec.get("Tests", [])
        if args.test_names:
            tests = [t for t in tests if t.get("Name") in args.test_names]
        if is_correlation:
            answer = None
        else:
            request["tests"] = [to_request_test(t) for t in tests] if "Tests" in spec else []
            answer = harness.run_detection(request)
            check_json(answer)
            # Module-level output is printed while the detection is built, before its ID.
            sys.stdout.write(answer["module_output"])
            sys.stderr.write(answer["module_stderr"])  # raw module stderr and log lines
            if answer["fatal"]:  # e.g. sys.exit() at module level: PAT's process ends
                sys.stdout.flush()
                if answer["fatal"]["warning"]:
                    sys.stderr.write(answer["fatal"]["warning"] + "\n")
                return answer["fatal"]["exit_code"]
        if not sort_mode:
            print(det_id)
        if answer is not None and answer["setup_error"]:
            invalid_detections.append((spec_file, answer["setup_error"]["message"]))
            print("\n")  # two empty lines, in both modes
            continue

        # ---- PAT: run_tests ----
        all_tests = spec.get("Tests", [])
        if len(all_tests) < args.minimum_tests:
            failed[det_id].append(f"Insufficient test coverage: {args.minimum_tests} tests "
                                  f"required but only {len(all_tests)} found")
        if "Tests" not in spec:
            print(f"\tNo tests configured for {det_id}")
        else:
            for result in answer["results"] if answer is not None else []:
                sys.stderr.write(result["logs"])  # log lines of the test (and its WARNING)
                if result["out_of_band"]:
                    # Logged on stderr; the test name is failed; nothing printed on stdout.
                    failed[det_id].extend(result["failed_entries"])
                    continue
                if sort_mode:
                    outcome = "passed" if result["passed"] else "errored"
                    buffered[outcome][det_id].append((result, result["captured"]))
                    continue
                if result["captured"]:
                    print(result["captured"])  # captured text, then print's newline
                print_result(det_id, result, failed)
            if args.minimum_tests > 1 and not (
                [t for t in all_tests if t["ExpectedResult"]]
                and [t for t in all_tests if not t["ExpectedResult"]]
            ):
                failed[det_id].append("Insufficient test coverage: expected at least one "
                                      "positive and one negative test")
        if not sort_mode:
            print("")
    invalid_specs.extend(invalid_detections)
    invalid_specs.extend(tuple(pair) for pair in loaded["invalid_packs"])

    # ---- sorted mode: passing detections first (unless --show-failures-only), then failing
    # ones, each sorted by detection ID; failed entries are appended while printing ----
    if sort_mode:
        for outcome in ("passed", "errored"):
            if args.show_failures_only and outcome != "errored":
                continue
            for det_id, packages in sorted(buffered[outcome].items(), key=lambda kv: kv[0]):
                if packages:
                    print(det_id)
                for result, captured in packages:
                    if captured:
                        print(captured)
                    print_result(det_id, result, failed)
                    print("")

    assert not [m for m in sys.modules if m.startswith("panther_analysis_tool")]
    print_summary(args.path, len(detections), failed, invalid_specs, skipped)
    if invalid_specs:
        return finish(1, invalid_specs)
    return finish(int(bool(failed)), invalid_specs)


def check_json(answer):
    """The worker sends answers as JSON: they must survive a strict round trip."""
    if json.loads(json.dumps(answer, allow_nan=False)) != answer:
        raise AssertionError("harness answer does not round-trip through JSON")


def to_request_test(test):
    """A spec's test case as the harness expects it ("resource" wins over "log" like PAT)."""
    out = {"name": test.get("Name"), "expected_result": test.get("ExpectedResult"),
           "mocks": test.get("Mocks") or []}
    if "Resource" in test:
        out["resource"] = test["Resource"]
    elif "Log" in test:
        out["log"] = test["Log"]
    return out


def print_result(det_id, result, failed):
    """PAT's _print_test_result: the test line, then one line per reported function; every
    FAIL function line appends "<test>:<fn>" to the failed list (harness: failed_entries)."""
    print(f"\t[{PASS if result['passed'] else FAIL}] {result['name']}")
    for function in result["functions"]:
        tag = PASS if function["passed"] else FAIL
        print(f"\t\t[{tag}] [{function['name']}] {function['output_text']}")
    # Only touch `failed` when there is something to add: a key, even with an empty list,
    # would count the detection as failed.
    if result["failed_entries"]:
        failed[det_id].extend(result["failed_entries"])


def print_summary(path, num_detections, failed, invalid_specs, skipped):
    """PAT's print_summary. Lists: skipped (order of skipping), failed (order of first failure;
    the entries are a Python list repr), invalid (loader's, then data models', then detections'
    setup errors, then packs'). Passed may be negative."""
    block = "\t{}\n\t\t{}\n"  # each block is followed by print's own newline
    if skipped:
        print("--------------------------")
        print("Skipped Tests Summary")
        for spec_file, spec in skipped:
            print(block.format(spec_file, spec.get("RuleID") or spec.get("PolicyID")))
    if failed:
        print("--------------------------")
        print("Failed Tests Summary")
        for det_id, entries in failed.items():
            print(block.format(det_id, entries))  # repr of a list of str, Python quoting
    if invalid_specs:
        print("--------------------------")
        print("Invalid Tests Summary")
        for spec_file, error in invalid_specs:
            print(block.format(spec_file, error))  # str(error)
    print("--------------------------")
    print("Test Summary")
    print(f"\tPath: {path}")
    print(f"\tPassed: {num_detections - (len(failed) + len(invalid_specs) + len(skipped))}")
    print(f"\tSkipped: {len(skipped)}")
    print(f"\tFailed: {len(failed)}")
    print(f"\tInvalid: {len(invalid_specs)}\n")


def log(level, message):
    """A PAT log line ("LEVEL: message") on stderr, without touching the logging module (the
    harness owns the root logger in this process)."""
    sys.stderr.write(f"{level}: {message}\n")


def finish(code, out):
    """PAT's call_and_exit: on exit 1, one ERROR line for the *last* invalid entry (stderr)."""
    if code == 1 and out:
        fname, error = "", ""
        for errspec in out:
            if isinstance(errspec, tuple):
                fname, error = errspec
            else:
                fname, error = "", errspec
        log("ERROR", f"{fname} {str(error).replace(chr(10), ' ')}")
    elif code == 1:
        log("ERROR", f"{out}")
    return code


# =============================================================================================
# Differential mode
# =============================================================================================


def pat_binary():
    return os.environ.get("PROWL_PAT") or os.path.join(os.path.dirname(sys.executable), "pat")


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTHER_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("DISABLE_DETECTION_OUTPUT", None)
    return env


_SYSTMP = re.escape(tempfile.gettempdir())
# PAT's tmp-PAT-<uuid> folder, the harness's prowl-harness-<pid>-<random> folder, and
# panther-core's <system tmp>/datamodels and /detections folders.
_TMP_RE = re.compile(
    rf"(?:{_SYSTMP}/tmp-PAT-[0-9a-f-]{{36}}|{_SYSTMP}/prowl-harness-[0-9]+-[A-Za-z0-9_]+"
    rf"|{_SYSTMP}(?=/(?:datamodels|detections)/))"
)
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(text):
    return _UUID_RE.sub("<UUID>", _TMP_RE.sub("<TMP>", text))


def run_pair(workspace, flags):
    env = clean_env()
    pat = subprocess.run(
        [pat_binary(), "--skip-version-check", "test", "--path", ".", *flags],
        cwd=workspace, env=env, capture_output=True, text=True, check=False,
    )
    ref = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--reference", "--", "--path", ".", *flags],
        cwd=workspace, env=env, capture_output=True, text=True, check=False,
    )
    return pat, ref


def warnings_and_errors(stderr):
    """The WARNING/ERROR log lines, in order (INFO lines and raw module output interleave
    differently because the harness returns them per detection)."""
    return [line for line in normalise(stderr).splitlines()
            if line.startswith(("WARNING: ", "ERROR: "))]


def compare(label, workspace, flags, show=False):
    pat, ref = run_pair(workspace, flags)
    a, b = normalise(pat.stdout), normalise(ref.stdout)
    logs_ok = warnings_and_errors(pat.stderr) == warnings_and_errors(ref.stderr)
    ok = a == b and pat.returncode == ref.returncode and logs_ok
    status = "agree" if ok else "DIFFER"
    # Informational: the whole stderr (INFO lines, raw module stderr) in the same order too?
    same_stderr = normalise(pat.stderr) == normalise(ref.stderr)
    print(f"{status:7} {label:34} exit {pat.returncode}/{ref.returncode}  "
          f"{len(a.splitlines())} lines, stderr {'identical' if same_stderr else 'differs'}")
    if not ok or show:
        if a != b:
            sys.stdout.writelines(difflib.unified_diff(
                a.splitlines(True), b.splitlines(True), "pat", "reference"))
        if not logs_ok:
            print("WARNING/ERROR lines differ:")
            print("\n".join(difflib.unified_diff(warnings_and_errors(pat.stderr),
                                                 warnings_and_errors(ref.stderr), lineterm="")))
        if show:
            print("---- pat stdout ----")
            print(pat.stdout)
            print("---- pat stderr ----")
            print(pat.stderr)
            print("---- reference stdout ----")
            print(ref.stdout)
        print("---- reference stderr ----")
        print(ref.stderr[-4000:])
    return ok


def main(argv):
    if argv and argv[0] == "--dump-specs":
        rest = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        json.dump(dump_specs(rest), sys.stdout)
        return 0
    if argv and argv[0] == "--reference":
        rest = argv[1:]
        if rest and rest[0] == "--":
            rest = rest[1:]
        try:
            code = reference_main(rest)
        finally:
            harness = sys.modules.get("prowl_harness")
            if harness is not None:
                harness.shutdown()  # removes the harness's temp folder
        sys.stdout.flush()
        return code
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", action="append", default=[])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--show", metavar="CASE")
    parser.add_argument("--workspace")
    parser.add_argument("flags", nargs="*")
    args = parser.parse_args(argv)
    if args.list:
        for name, folder, flags in CASES:
            print(f"{name:30} {folder:40} {shlex.join(flags)}")
        return 0
    if args.workspace:
        return 0 if compare(args.workspace, args.workspace, args.flags, show=True) else 1
    selected = CASES
    if args.show:
        selected = [c for c in CASES if c[0] == args.show]
    elif args.case:
        selected = [c for c in CASES if any(c[0].startswith(p) for p in args.case)]
    results = [compare(name, os.path.join(REPO, folder), flags, show=bool(args.show))
               for name, folder, flags in selected]
    print(f"{sum(results)}/{len(results)} cases agree")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
