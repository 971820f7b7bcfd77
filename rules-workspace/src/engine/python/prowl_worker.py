"""Prowl's worker dispatcher: decodes a request frame, calls the handler, encodes the answer.

The Rust worker (`prowl worker`) calls `handle(request_bytes) -> response_str` once per frame.
Every request is a JSON object with an `op`; every answer is `{"ok": <the handler's answer>}`,
or `{"error": {"type", "message", "traceback"}}` when the handler raised (never a crash of the
worker). The Rust side decodes them as `engine::messages::Reply`.
"""
import json
import os
import platform
import sys
import traceback

_HANDLERS = {}

# A detection that forks must not leave a second copy of this worker answering on the same
# pipes: the child of a raw os.fork() leaves at once (subprocess's fork+exec is unaffected).
os.register_at_fork(after_in_child=lambda: os._exit(0))


def op(name):
    """Registers a request handler."""

    def register(func):
        _HANDLERS[name] = func
        return func

    return register


@op("ping")
def _ping(_request):
    try:
        import panther_core  # noqa: F401  (import only to learn whether it is there)
        from importlib.metadata import version

        core = version("panther-core")
    except Exception:  # pylint: disable=broad-except
        core = None
    return {
        "python": platform.python_version(),
        "executable": sys.executable,
        "panther_core": core,
        "path": list(sys.path),
        # The sandbox layers in force, as the worker set them before Python started (absent
        # outside the sandbox): `prowl audit` runs a pack's code only in enough of them.
        "sandbox": os.environ.get("PROWL_SANDBOX_LAYERS"),
    }


def _harness():
    """The test harness, loaded by the Rust side into sys.modules as `prowl_harness`."""
    return sys.modules["prowl_harness"]


@op("load_workspace")
def _load_workspace(request):
    answer = _harness().load_workspace(request)
    if request.get("replay") is not None and not answer.get("fatal"):
        answer["replay"] = sys.modules["prowl_replay"].prepare(request["replay"])
    return answer


@op("replay_batch")
def _replay_batch(request):
    return sys.modules["prowl_replay"].batch(request)


@op("run_detection")
def _run_detection(request):
    return _harness().run_detection(request)


@op("analyze_globals")
def _analyze_globals(request):
    return _harness().analyze_globals(request)


@op("check_python")
def _check_python(request):
    return _harness().check_python(request)


@op("audit_static")
def _audit_static(request):
    return sys.modules["prowl_audit"].audit_static(request)


@op("shutdown")
def _shutdown(_request):
    return _harness().shutdown()


def handle(frame):
    try:
        request = json.loads(frame)
        handler = _HANDLERS.get(request.get("op"))
        if handler is None:
            raise ValueError(f"unknown request op {request.get('op')!r}")
        answer = {"ok": handler(request)}
    except BaseException as err:  # pylint: disable=broad-except
        answer = {
            "error": {
                "type": type(err).__name__,
                "message": str(err),
                "traceback": traceback.format_exc(),
            }
        }
    return json.dumps(answer, default=repr, allow_nan=True)


def _warm_up():
    """Import panther-core as soon as the worker starts, while Prowl is still reading the
    workspace. A failure is left for the first request to report."""
    harness = sys.modules.get("prowl_harness")
    if harness is None:
        return
    try:
        harness._state()  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
        pass


_warm_up()
