#!/usr/bin/env python3
"""API-level tests of prowl_harness.py that the output comparison (harness_check.py) cannot see:
nothing reaches the real stdout, reloads after edits, stale bytecode, `body` detections,
traceback mapping, shutdown, and a timing of warm run_detection calls.

Run with any Python 3.11 that has panther-core 0.16.2 (PAT's venv has it):

    ~/.cache/prowl/pat-1.6.3/bin/python tests/engine/harness_api_test.py      # or with pytest
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(REPO, "rules-workspace", "src", "engine", "python", "prowl_harness.py")
FIXTURES = os.path.join(REPO, "tests", "fixtures", "engine")


def load_harness():
    spec = importlib.util.spec_from_file_location("prowl_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BASE_TMP = tempfile.gettempdir()  # before the harness points tempfile at its own folder
H = load_harness()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(textwrap.dedent(text))


def rule_request(det_id, path, tests, **extra):
    req = {"id": det_id, "analysis_type": "rule", "path": path, "spec_path": path + ".yml",
           "create_alert": None, "tests": tests}
    req.update(extra)
    return req


def workspace_request(root, globals_=(), data_models=(), destinations=()):
    return {"root": root, "globals": list(globals_), "data_models": list(data_models),
            "available_destinations": list(destinations)}


def test_nothing_reaches_real_stdout():
    """A noisy workspace run through the harness in a fresh process leaves fd 1 untouched."""
    model_py = os.path.join(FIXTURES, "data-models", "data_models", "app_model.py")
    script = textwrap.dedent(f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location("prowl_harness", {HARNESS!r})
        h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h)
        root = {os.path.join(FIXTURES, "setup-errors")!r}
        h.load_workspace({{"root": root, "available_destinations": [],
            "globals": [{{"id": "noisy_helper", "path": "./global_helpers/noisy_helper.py"}}],
            "data_models": [{{"id": "M", "spec_path": "m.yml", "path": {model_py!r},
                             "enabled": True, "log_types": ["Custom.FixtureApp"],
                             "mappings": [{{"Name": "source_ip", "Method": "get_source_ip"}}]}}]}})
        answers = []
        for name in ["e_prints", "f_prints_again", "h_raises_at_import"]:
            answers.append(h.run_detection({{"id": "X." + name, "analysis_type": "rule",
                "path": "./rules/" + name + ".py", "spec_path": "s", "create_alert": None,
                "tests": [{{"name": "t", "expected_result": True,
                            "log": {{"user": "alice", "p_log_type": "Custom.FixtureApp"}}}},
                          {{"name": "bob", "expected_result": False, "log": {{"user": "bob"}}}}]}}))
        h.shutdown()
        sys.stderr.write(json.dumps(answers))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert proc.stdout == "", proc.stdout
    answers = json.loads(proc.stderr)
    assert answers[0]["module_output"] == "noisy_helper imported\ne_prints module level output\n"
    assert answers[0]["module_stderr"] == ("noisy_helper warning on stderr\n"
                                           "e_prints module level stderr\n")
    assert answers[0]["results"][1]["captured"] == (
        "rule saw bob\nbob goes to stderr\nshouting hello bob\n")
    assert answers[1]["module_output"].startswith("f_prints_again")
    assert answers[2]["setup_error"]["message"] == "'b'"


def test_reload_after_global_and_model_edits():
    root = tempfile.mkdtemp(prefix="harness-api-", dir=BASE_TMP)
    try:
        write(f"{root}/global_helpers/helper.py", """
            CALLS = []
            def tag(x):
                CALLS.append(x)
                return f"v1-{x}-{len(CALLS)}"
        """)
        write(f"{root}/data_models/model.py", "def ip(event):\n    return event.get('a')\n")
        write(f"{root}/rules/r.py", """
            from helper import tag
            def rule(event):
                return True
            def title(event):
                return f"{tag(event.get('x'))} {event.udm('actor')} {event.udm('ip')}"
        """)
        model = {"id": "Model", "spec_path": "model.yml", "path": "./data_models/model.py",
                 "enabled": True, "log_types": ["Custom.T"],
                 "mappings": [{"Name": "actor", "Path": "$.a"}, {"Name": "ip", "Method": "ip"}]}
        req = workspace_request(root, [{"id": "helper", "path": "./global_helpers/helper.py"}],
                                [model])
        tests = [{"name": "t", "expected_result": True,
                  "log": {"x": "a", "a": "A", "b": "B", "p_log_type": "Custom.T"}}]
        assert H.load_workspace(req)["fatal"] is None
        first = H.run_detection(rule_request("R", "./rules/r.py", tests))
        again = H.run_detection(rule_request("R", "./rules/r.py", tests))
        assert first["results"][0]["functions"][1]["output_text"] == "v1-a-1 A A"
        assert again["results"][0]["functions"][1]["output_text"] == "v1-a-2 A A"  # shared state
        # edit the helper and the model, reload: new code, fresh module state, new mapping
        write(f"{root}/global_helpers/helper.py", """
            def tag(x):
                return f"v2-{x}"
        """)
        write(f"{root}/data_models/model.py", "def ip(event):\n    return event.get('b')\n")
        model["mappings"][0]["Path"] = "$.b"
        assert H.load_workspace(req)["fatal"] is None
        after = H.run_detection(rule_request("R", "./rules/r.py", tests))
        assert after["results"][0]["functions"][1]["output_text"] == "v2-a B B", after
    finally:
        shutil.rmtree(root)


def test_same_second_same_size_edit_is_not_stale():
    """Python trusts a .pyc whose recorded mtime (whole seconds) and size match the source."""
    root = tempfile.mkdtemp(prefix="harness-api-", dir=BASE_TMP)
    old = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        H.load_workspace(workspace_request(root))
        path = f"{root}/rules/r.py"
        tests = [{"name": "t", "expected_result": True, "log": {}}]
        write(path, "def rule(event):\n    return 1 == 1\n")
        assert H.run_detection(rule_request("R", path, tests))["results"][0]["passed"]
        assert os.path.exists(importlib.util.cache_from_source(path))
        stat = os.stat(path)
        write(path, "def rule(event):\n    return 1 == 2\n")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, same size
        assert not H.run_detection(rule_request("R", path, tests))["results"][0]["passed"]
    finally:
        sys.dont_write_bytecode = old
        shutil.rmtree(root)


def test_body_detection_and_traceback_mapping():
    root = tempfile.mkdtemp(prefix="harness-api-", dir=BASE_TMP)
    try:
        write(f"{root}/global_helpers/helper.py", """
            def explode(event):
                return event["missing"]
        """)
        H.load_workspace(workspace_request(root, [{"id": "helper",
                                                   "path": "./global_helpers/helper.py"}]))
        body = "from helper import explode\n\ndef rule(event):\n    return explode(event)\n"
        answer = H.run_detection({"id": "Body.Rule", "analysis_type": "rule", "body": body,
                                  "source_path": f"{root}/rules/base.py", "spec_path": "d.yml",
                                  "create_alert": None,
                                  "tests": [{"name": "t", "expected_result": True, "log": {}}]})
        error = answer["results"][0]["functions"][0]["error"]
        assert error["type"] == "KeyError" and error["message"] == "'missing'", error
        frames = [(os.path.basename(f["file"]), f["line"], f["function"], f["user"])
                  for f in error["traceback"]]
        # the temp copies PAT imports are mapped back to the user's files
        assert frames == [("base.py", 4, "rule", True), ("helper.py", 3, "explode", True)], frames
        # a changed body under the same ID is not served from stale bytecode
        body2 = body.replace("return explode(event)", "return True         ")
        answer = H.run_detection({"id": "Body.Rule", "analysis_type": "rule", "body": body2,
                                  "spec_path": "d.yml", "create_alert": None,
                                  "tests": [{"name": "t", "expected_result": True, "log": {}}]})
        assert answer["results"][0]["passed"]
    finally:
        shutil.rmtree(root)


def test_fatal_setup_and_shutdown():
    root = tempfile.mkdtemp(prefix="harness-api-", dir=BASE_TMP)
    try:
        answer = H.load_workspace(workspace_request(
            root, [{"id": "gone", "path": "./global_helpers/gone.py"}]))
        assert answer["fatal"]["warning"] == (
            "WARNING: Unhandled exception: \"[Errno 2] No such file or directory: "
            "'./global_helpers/gone.py'\""), answer
        tmp = H._state().tmp  # pylint: disable=protected-access
        helper_dir = H._state().helper_dir  # pylint: disable=protected-access
        H.shutdown()
        assert not os.path.exists(tmp) and helper_dir not in sys.path
    finally:
        shutil.rmtree(root)


def test_timing_of_warm_calls():
    """Checks warm calls keep giving the same verdicts, and prints what one costs (information
    only: speed is measured by tests/bench, not asserted here)."""
    root = os.path.join(FIXTURES, "mocks")
    H.load_workspace(workspace_request(root, [{"id": "fixture_owners",
                                               "path": "./global_helpers/fixture_owners.py"}]))
    tests = [
        {"name": "plain", "expected_result": True, "log": {"user": "alice"}},
        {"name": "mocked", "expected_result": True, "log": {"user": "bob"},
         "mocks": [{"objectName": "owner_of", "returnValue": "security"}]},
        {"name": "quiet", "expected_result": False, "log": {"user": "carol"}},
    ]
    req = rule_request("Fixture.Mocks.Function", "./rules/mocked_function.py", tests)
    H.run_detection(req)
    count = 500
    start = time.perf_counter()
    for _ in range(count):
        answer = H.run_detection(req)
    elapsed = time.perf_counter() - start
    assert all(r["passed"] for r in answer["results"])
    per_call = elapsed / count * 1000
    print(f"    run_detection with 3 tests: {per_call:.3f} ms per call ({count} calls)")


def test_analyze_globals_finds_helpers_that_tie_detections_to_one_worker():
    tmp = tempfile.mkdtemp(dir=BASE_TMP)
    sources = {
        "pure": """
            import json
            CONSTANTS = {"a": 1}
            def lookup(key):
                local = {}
                local[key] = CONSTANTS.get(key)
                return json.dumps(local)
        """,
        "memo": """
            _TABLE = None
            def table():
                global _TABLE
                if _TABLE is None:
                    _TABLE = {"built": True}
                return _TABLE
        """,
        "counter": """
            COUNT = 0
            def bump():
                global COUNT
                COUNT += 1
                return COUNT
        """,
        "appender": """
            SEEN = []
            def see(x):
                SEEN.append(x)
        """,
        "item_setter": """
            CACHE = {}
            def remember(k, v):
                CACHE[k] = v
        """,
        "noisy": """
            print("imported")
            def f():
                return 1
        """,
        "broken": "def (:\n",
    }
    globals_ = []
    for gid, text in sources.items():
        path = os.path.join(tmp, f"{gid}.py")
        write(path, textwrap.dedent(text))
        globals_.append({"id": gid, "path": path})
    traits = H.analyze_globals({"globals": globals_})["traits"]
    sticky = {gid for gid, t in traits.items() if t["sticky"]}
    assert sticky == {"counter", "appender", "item_setter", "noisy", "broken"}, traits
    assert traits["counter"]["reasons"] == ["line 4: `global COUNT`"], traits["counter"]
    assert traits["appender"]["reasons"] == ["line 4: changes module-level `SEEN`"]
    assert traits["noisy"]["reasons"] == ["line 2: runs `Expr` when imported"]
    shutil.rmtree(tmp)


def teardown_module():
    """pytest: remove the harness's temp folder."""
    H.shutdown()


def main():
    failures = 0
    for name, func in sorted(globals().items()):
        if name.startswith("test_") and callable(func):
            try:
                func()
                print(f"ok      {name}")
            except Exception as err:  # pylint: disable=broad-except
                failures += 1
                print(f"FAILED  {name}: {type(err).__name__}: {err}")
    H.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
