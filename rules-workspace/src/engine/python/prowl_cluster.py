"""Prowl's replay on a Ray cluster: the driver (run by `prowl replay --cluster`) and the task
each node runs. Prowl's own code (Apache-2.0); Ray, and panther-core (AGPL) on the nodes, are
only imported at run time.

The driver
----------
`python prowl_cluster.py` reads one JSON job on standard input:
  {"address": "auto" | "ray://host:10001" | "host:6379",
   "runtime_env": {"working_dir": ..., "pip": {...}, ...},   the package of the run
   "python": "3.11",            the Python the workspace's pinned requirements were resolved for
   "paths": [...],              the shared files every node must see
   "load": {...},               the harness's load_workspace request (paths relative to "ws/")
   "specs": [...],              prowl_replay.prepare's detections
   "key": "...",                the load's identity (a worker loads once per key)
   "max_retries": 3, "batch_timeout": 60.0, "driver_root": "/abs/workspace"}
then, after it said `prepared`, a second line:
  {"routes": [[d, ...], ...],   detections per route (those that were built)
   "shares": [ShareJob, ...]}   what each task reads (`prowl-read`'s input)
and writes one JSON object per line on standard output, in this order:
  {"connected": {"nodes": [{"id", "address", "cpus", "python", "ray", "machine", "missing"}],
                 "ray": "2.60.0"}}                   (the end, with "probe_only": true)
  {"incompatible": ["why", ...]}                      then it stops
  {"prepared": {load_workspace's answer, "replay": prepare's answer}}
  {"share": i, "result": {...}} or {"share": i, "failed": "why"}   as tasks end
  {"finished": true}
or, at any point, {"fatal": "why", "kind": "connect" | "lost" | "environment" | "s3"}.
With "s3": ["s3://bucket/prefix", ...] in the job, the objects there are listed after the
probe: {"listed": [{"name": "s3://bucket/key", "size": n}, ...]}; the tasks download them.
A line `cancel` on standard input (or its end) cancels every task and ends the driver.

The node task
-------------
`run_share` loads the workspace once per worker process (the harness's `load_workspace`, then
`prowl_replay.prepare`, exactly as a local worker), runs `prowl-read` on its share and hands
each batch to `prowl_replay.batch`: one code path with the local replay. It returns the
matches and errors as `prowl_replay.batch` answers them, their `e` indexing `places` (each event
once: [time, seq, line, record, offset, event text or None]), and the share's read counts.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_OUTPUT_LIMIT = 64 * 1024


# ---------------------------------------------------------------------------------------------
# the node side
# ---------------------------------------------------------------------------------------------

_LOADED = {"key": None, "answer": None, "root": None}


class BatchTimeout(BaseException):
    """A batch ran longer than the replay's batch timeout (a rule that never returns): a
    BaseException, so that panther-core does not take it for the rule's own error."""


def _modules():
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    # pylint: disable=import-outside-toplevel,unused-import
    import prowl_harness  # noqa: F401
    import prowl_match  # noqa: F401
    import prowl_replay

    return prowl_replay


def _load(key, load, specs):
    """The workspace's helpers, models and detections, set up once per worker process."""
    if _LOADED["key"] == key:
        return _LOADED["answer"]
    replay = _modules()
    harness = sys.modules["prowl_harness"]
    root = os.path.join(HERE, "ws")
    request = dict(load)
    request["root"] = root
    answer = harness.load_workspace(request)
    if not answer.get("fatal"):
        answer["replay"] = replay.prepare(specs)
    _LOADED.update(key=key, answer=answer, root=root)
    return answer


def _node_path(path, driver_root):
    """A file named in a traceback, as the driver's workspace names it."""
    root = _LOADED["root"]
    if isinstance(path, str) and root and path.startswith(root + os.sep):
        return driver_root + path[len(root):]
    return path


def prepare(key, load, specs, driver_root):
    """Load on one node first: a broken helper ends the run before any share starts."""
    answer = _load(key, load, specs)
    for d in (answer.get("replay") or {}).get("detections") or []:
        for frame in (d.get("error") or {}).get("traceback") or []:
            frame["file"] = _node_path(frame.get("file"), driver_root)
    return answer


def probe(paths):
    """What a node runs: its Python, Ray and machine, and the shared files it cannot see."""
    import platform  # pylint: disable=import-outside-toplevel

    import ray  # pylint: disable=import-outside-toplevel

    missing = [p for p in paths if not os.path.exists(p)]
    return {
        "python": "%d.%d" % sys.version_info[:2],
        "ray": ray.__version__,
        "machine": platform.machine(),
        "system": platform.system(),
        "missing": missing[:5],
        "missing_count": len(missing),
    }


_TIMED_OUT = [False]


def _alarm(_signum, _frame):
    # panther-core catches everything a rule raises, so the timeout is also remembered here;
    # a rule that swallows it too gets 5 s more, then the worker ends (Ray retries the task
    # elsewhere and reports it failed in the end).
    if _TIMED_OUT[0]:
        os._exit(70)  # pylint: disable=protected-access
    _TIMED_OUT[0] = True
    signal.setitimer(signal.ITIMER_REAL, 5)
    raise BatchTimeout()


def run_share(key, load, specs, routes, share, batch_timeout, driver_root):
    """Read one share with prowl-read and run its batches through the detections."""
    # pylint: disable=too-many-locals,too-many-arguments,too-many-positional-arguments
    answer = _load(key, load, specs)
    if answer.get("fatal"):
        raise RuntimeError("loading the workspace failed: %s" % answer["fatal"].get("message"))
    replay = sys.modules["prowl_replay"]
    # Tracebacks are kept for the first errors of each detection in each share (not in each
    # worker process, which serves shares in no set order), so the driver keeps the same first
    # errors whatever the schedule.
    state = replay._REPLAY  # pylint: disable=protected-access
    state.tracebacks = [0] * len(state.tracebacks)
    reader = os.path.join(HERE, "prowl-read")
    scratch = tempfile.mkdtemp(prefix="prowl-share-")
    share = _fetch_s3(dict(share, files=[dict(f) for f in share["files"]]), scratch)
    job_path = os.path.join(scratch, "share.json")
    with open(job_path, "w", encoding="utf-8") as handle:
        json.dump(share, handle)
    matches, errors, places = [], [], []
    output, printed, evaluated, events = [], 0, 0, 0
    kept = 0
    done = None
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGALRM, _alarm) if main_thread else None
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [reader, job_path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for raw_line in proc.stdout:
            msg = json.loads(raw_line)
            if "done" in msg:
                done = msg["done"]
                continue
            meta, batch = msg["meta"], msg["events"]
            raws = msg.get("raw")
            _TIMED_OUT[0] = False
            if main_thread and batch_timeout:
                signal.setitimer(signal.ITIMER_REAL, batch_timeout)
            try:
                got = replay.batch({"routes": routes, "events": batch})
            finally:
                if main_thread:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            if _TIMED_OUT[0]:
                raise BatchTimeout()
            events += len(batch)
            evaluated += got["evaluated"]
            printed += got["printed"]
            if got["output"] and kept < _OUTPUT_LIMIT:
                text = got["output"][: _OUTPUT_LIMIT - kept]
                output.append(text)
                kept += len(text)
            # The events matched or raised on, once each, with their places; the answer's
            # `e` indexes become indexes into `places`.
            here = {}

            def place(e, meta=meta, raws=raws, here=here):
                if e not in here:
                    here[e] = len(places)
                    places.append(list(meta[e]) + [raws[e] if raws is not None else None])
                return here[e]

            for m in got["matches"]:
                m["e"] = place(m["e"])
                matches.append(m)
            for err in got["errors"]:
                err["e"] = place(err["e"])
                for frame in err.get("traceback") or []:
                    frame["file"] = _node_path(frame.get("file"), driver_root)
                errors.append(err)
    except BatchTimeout:
        proc.kill()
        raise RuntimeError(  # pylint: disable=raise-missing-from
            "a batch ran longer than %.0f s (a detection that never returns?)" % batch_timeout
        )
    finally:
        if main_thread:
            signal.signal(signal.SIGALRM, previous or signal.SIG_DFL)
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        code = proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    if code != 0 or done is None:
        raise RuntimeError("prowl-read failed (exit %s): %s" % (code, stderr.strip()[-2000:]))
    return {
        "matches": matches,
        "errors": errors,
        "places": places,
        "output": "".join(output),
        "printed": printed,
        "evaluated": evaluated,
        "events": events,
        "read": done,
    }


# ---------------------------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------------------------


def _say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class _Input:  # pylint: disable=too-few-public-methods
    """Standard input: the shares line, then `cancel` (or its end)."""

    def __init__(self):
        self.event = threading.Event()
        self.shares = None
        self.got_shares = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        for line in sys.stdin:
            text = line.strip()
            if text == "cancel":
                break
            if text.startswith("{") and self.shares is None:
                self.shares = json.loads(text)
                self.got_shares.set()
        self.event.set()
        self.got_shares.set()


_CONNECT_TIMEOUT = float(os.environ.get("PROWL_CLUSTER_CONNECT_TIMEOUT", "60"))


def _reachable(address):
    """A quick TCP check of `host:port` (Ray itself retries a dead address for minutes)."""
    import socket  # pylint: disable=import-outside-toplevel

    if address == "auto":
        return None
    hostport = address[len("ray://"):] if address.startswith("ray://") else address
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return "%r is not an address: use auto, ray://HOST:PORT or HOST:PORT" % address
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=10):
            return None
    except OSError as exc:
        return "nothing answers at %s:%s (%s)" % (host, port, exc)


def _connect(ray, address, runtime_env=None):
    why = _reachable(address)
    if why:
        raise ConnectionError(why)
    # ray.init waits for a cluster that does not answer for a long time: give up sooner.
    timer = threading.Timer(
        _CONNECT_TIMEOUT,
        lambda: (
            _say({"fatal": "no answer from the cluster within %.0f s" % _CONNECT_TIMEOUT,
                  "kind": "connect"}),
            os._exit(3),  # pylint: disable=protected-access
        ),
    )
    timer.daemon = True
    timer.start()
    try:
        _init(ray, address, runtime_env)
    finally:
        timer.cancel()


def _init(ray, address, runtime_env):
    kwargs = {"logging_level": "ERROR", "log_to_driver": False}
    if not address.startswith("ray://"):
        kwargs["include_dashboard"] = False
    if runtime_env is not None:
        # A local working directory is uploaded only for a job's own environment.
        kwargs["runtime_env"] = runtime_env
    ray.init(address=address, **kwargs)


def _nodes(ray, paths):
    from ray.util.scheduling_strategies import (  # pylint: disable=import-outside-toplevel
        NodeAffinitySchedulingStrategy,
    )

    remote_probe = ray.remote(probe)
    alive = [n for n in ray.nodes() if n.get("Alive")]
    refs = [
        remote_probe.options(
            num_cpus=0,
            max_retries=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
        ).remote(paths)
        for n in alive
    ]
    nodes = []
    for n, ref in zip(alive, refs):
        try:
            info = ray.get(ref, timeout=60)
        except ray.exceptions.TaskUnschedulableError:
            # A node that died moments ago is still listed for a while: it is gone.
            continue
        except Exception as exc:  # pylint: disable=broad-except
            info = {"error": "%s: %s" % (type(exc).__name__, exc)}
        info.update(
            id=n["NodeID"],
            address=n.get("NodeManagerAddress"),
            cpus=n.get("Resources", {}).get("CPU", 0),
        )
        nodes.append(info)
    return nodes


def _incompatible(nodes, job, ray_version):
    why = []
    for n in nodes:
        name = "node %s (%s)" % (n.get("address"), (n.get("id") or "?")[:8])
        if n.get("error"):
            why.append("%s did not answer a probe: %s" % (name, n["error"]))
            continue
        if n["python"] != job["python"]:
            why.append(
                "%s runs Python %s; the workspace's requirements are pinned for Python %s"
                % (name, n["python"], job["python"])
            )
        if n["ray"] != ray_version:
            why.append("%s runs Ray %s; this driver runs Ray %s" % (name, n["ray"], ray_version))
        if n["system"] != "Linux" or n["machine"] not in ("x86_64", "AMD64"):
            why.append(
                "%s is %s %s; prowl-read is built for Linux x86_64"
                % (name, n["system"], n["machine"])
            )
        if n.get("missing_count"):
            why.append(
                "%s cannot see %d of the input files (%s)"
                % (name, n["missing_count"], ", ".join(n["missing"]))
            )
    return why


def _list_s3(urls):
    """The objects under each `s3://bucket/prefix`, sorted by key (credentials from the
    environment, as boto3 finds them)."""
    import boto3  # pylint: disable=import-outside-toplevel

    client = boto3.client("s3")
    found = []
    for url in urls:
        bucket, _, prefix = url[len("s3://"):].partition("/")
        objects = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents") or []:
                if obj["Key"].endswith("/") or os.path.basename(obj["Key"]).startswith("."):
                    continue
                objects.append({"name": "s3://%s/%s" % (bucket, obj["Key"]), "size": obj["Size"]})
        if not objects:
            raise FileNotFoundError("no objects under %s" % url)
        found.extend(sorted(objects, key=lambda o: o["name"]))
    return found


def _fetch_s3(share, into):
    """Each `s3://` file of a share, downloaded whole into `into` (its name stays the URL)."""
    import boto3  # pylint: disable=import-outside-toplevel

    client = None
    for i, f in enumerate(share["files"]):
        if not f["path"].startswith("s3://"):
            continue
        if client is None:
            client = boto3.client("s3")
        bucket, _, key = f["path"][len("s3://"):].partition("/")
        local = os.path.join(into, "%d" % i)
        client.download_file(bucket, key, local)
        f["path"] = local
        f["range"] = None
    return share


def _kind_of(exc):
    name = type(exc).__name__
    if "RuntimeEnv" in name:
        return "environment"
    return "lost"


def drive(job):
    """Runs a job on the cluster, reporting on standard output."""
    # pylint: disable=too-many-locals,too-many-branches,too-many-statements
    import ray  # pylint: disable=import-outside-toplevel

    cancel = _Input()
    try:
        _connect(ray, job["address"])
    except Exception as exc:  # pylint: disable=broad-except
        _say({"fatal": "%s: %s" % (type(exc).__name__, exc), "kind": "connect"})
        return 3
    try:
        nodes = _nodes(ray, job.get("paths") or [])
        _say({"connected": {"nodes": nodes, "ray": ray.__version__}})
        if job.get("probe_only"):
            _say({"finished": True})
            return 0
        if job.get("s3"):
            try:
                _say({"listed": _list_s3(job["s3"])})
            except Exception as exc:  # pylint: disable=broad-except
                _say({"fatal": "%s: %s" % (type(exc).__name__, exc), "kind": "s3"})
                return 3
        why = _incompatible(nodes, job, ray.__version__)
        if why or not nodes:
            _say({"incompatible": why or ["the cluster has no live node"]})
            return 4
        # Probed without the run's environment (a node that cannot build it is reported as
        # such); then connected again with it, which uploads the package once.
        ray.shutdown()
        _connect(ray, job["address"], job["runtime_env"])
        key = job["key"]
        load_ref = ray.put(job["load"])
        specs_ref = ray.put(job["specs"])
        remote_prepare = ray.remote(prepare).options(
            num_cpus=1, max_retries=job.get("max_retries", 3)
        )
        try:
            prepared = ray.get(
                remote_prepare.remote(key, load_ref, specs_ref, job["driver_root"])
            )
        except Exception as exc:  # pylint: disable=broad-except
            _say({"fatal": "%s: %s" % (type(exc).__name__, exc), "kind": _kind_of(exc)})
            return 3
        _say({"prepared": prepared})
        if prepared.get("fatal"):
            return 0
        cancel.got_shares.wait()
        if cancel.shares is None:
            _say({"cancelled": True})
            return 0
        routes_ref = ray.put(cancel.shares["routes"])
        remote_share = ray.remote(run_share).options(
            num_cpus=1,
            max_retries=job.get("max_retries", 3),
            retry_exceptions=True,
        )
        pending = {}
        for i, share in enumerate(cancel.shares["shares"]):
            ref = remote_share.remote(
                key,
                load_ref,
                specs_ref,
                routes_ref,
                share,
                job.get("batch_timeout", 60.0),
                job["driver_root"],
            )
            pending[ref] = i
        while pending:
            if cancel.event.is_set():
                for ref in pending:
                    ray.cancel(ref, force=True)
                _say({"cancelled": True})
                return 0
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.25)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except (ray.exceptions.RaySystemError, ConnectionError) as exc:
                    _say({"fatal": "%s: %s" % (type(exc).__name__, exc), "kind": "lost"})
                    return 3
                except ray.exceptions.RuntimeEnvSetupError as exc:
                    _say({"fatal": str(exc), "kind": "environment"})
                    return 3
                except Exception as exc:  # pylint: disable=broad-except
                    cause = getattr(exc, "cause", None) or exc
                    _say({"share": i, "failed": "%s: %s" % (type(cause).__name__, cause)})
                    continue
                _say({"share": i, "result": result})
        _say({"finished": True})
        return 0
    except Exception as exc:  # pylint: disable=broad-except
        _say({"fatal": "%s: %s" % (type(exc).__name__, exc), "kind": "lost"})
        return 3
    finally:
        try:
            ray.shutdown()
        except Exception:  # pylint: disable=broad-except
            pass


def main():
    """The driver's entry point."""
    job = json.loads(sys.stdin.readline())
    started = time.monotonic()
    code = drive(job)
    sys.stderr.write("prowl-cluster: %.1f s\n" % (time.monotonic() - started))
    sys.stdout.flush()
    os._exit(code)  # pylint: disable=protected-access


if __name__ == "__main__":
    # Imported by name, so that Ray sends its functions by reference: the nodes import this
    # module from the run's package.
    sys.path.insert(0, HERE)
    import prowl_cluster  # pylint: disable=import-self

    prowl_cluster.main()
