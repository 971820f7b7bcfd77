"""Prowl's replay step: events -> matches, with panther-core in batch mode, as at run time.

This module is Prowl's own code (Apache-2.0); panther-core (AGPL) is only imported at run time.
It runs in the same worker as the unit-test harness (`prowl_harness`), after the harness's
`load_workspace` has set up the global helpers and data models, and uses its state.

prepare(specs)
--------------
Called by the dispatcher right after `load_workspace` when its request carries `replay`.
specs: [{id, analysis_type ("rule" | "scheduled_rule" | "policy"), path, body?, filters?,
         severity, dedup_period_minutes, create_alert}], in the order the Rust side numbers
         them. `body`: a Simple Detection's module compiled by Prowl (`path` is then its spec);
         `filters`: the rule's InlineFilters as a `prowl_match` program.
answer: {"detections": [{"id", "error": None | {type, message, traceback}}], "output": str}
        A detection whose module cannot be built has an `error` and never matches.

batch(req)
----------
req: {"routes": [[detection index, ...], ...]   (sent once per batch, small)
      "events": [[route index, event], ...]}
Each event goes to the detections of its route: rules and scheduled rules get a PantherEvent
bound to the data model of the event's `p_log_type`, policies the plain dict (as panther-core's
callers do at run time), except the resources its `Suppressions` match. A policy without `dedup()` deduplicates by the resource's ID
(`ResourceId`, `resourceId`, `Arn`, `arn`, `id`), one alert per failing resource. `Detection.run(..., batch_mode=True)`: the alert functions run only
on a match, and fall back to their defaults when they raise.
answer: {"matches": [{e, d, title, dedup, severity, context, destinations, runbook,
                      description, reference, unique}],
         "errors":  [{e, d, type, message, traceback (the first few per detection only)}],
         "output": what the detections printed (cut), "printed": its full length in chars,
         "evaluated": event x detection runs}
`e` is the event's index in the batch, `d` the detection's index.
"""

import fnmatch
import logging
import sys

_KEPT_TRACEBACKS = 3  # per detection, per worker
_OUTPUT_LIMIT = 16 * 1024  # per batch

_TYPES = {"rule": "RULE", "scheduled_rule": "SCHEDULED_RULE", "policy": "POLICY"}


class _Replay:  # pylint: disable=too-few-public-methods
    def __init__(self):
        self.detections = []  # index -> Detection or None (could not be built)
        self.policy = []  # index -> whether it is a policy (gets the plain dict)
        self.tracebacks = []  # index -> how many tracebacks were sent
        self.suppressions = []  # index -> a policy's Suppressions (resource-ID patterns)


_REPLAY = _Replay()


def _harness():
    return sys.modules["prowl_harness"]


def prepare(specs):
    """Build every detection of the replay once (their modules are imported here)."""
    h = _harness()
    st = h._state()  # pylint: disable=protected-access
    rep = _Replay()
    out = h._BoundedText(_OUTPUT_LIMIT)  # pylint: disable=protected-access
    answers = []
    with h._capture(out, out):  # pylint: disable=protected-access
        for spec in specs:
            config = {
                "id": spec["id"],
                "analysisType": _TYPES.get(spec.get("analysis_type"), "RULE"),
                "versionId": "0000-0000-0000",
                "filters": None,
            }
            if spec.get("body") is not None:
                # A Simple Detection, compiled by Prowl into a module panther-core runs.
                config["body"] = spec["body"]
                temp_copy = st.core.util.id_to_path(st.detection_dir, spec["id"])
                h._refresh_body(st, temp_copy, spec["body"])  # pylint: disable=protected-access
                st.file_map[temp_copy] = h._abs(spec["path"])  # pylint: disable=protected-access
            else:
                config["path"] = spec["path"]
            if spec.get("filters") is not None:
                # InlineFilters: panther-core runs them before rule(), as at run time.
                config["filters"] = [sys.modules["prowl_match"].inline_filter(spec["filters"])]
            if spec.get("severity"):
                config["severity"] = spec["severity"]
            if isinstance(spec.get("dedup_period_minutes"), int):
                config["dedupPeriodMinutes"] = spec["dedup_period_minutes"]
            if spec.get("create_alert") is not None:
                config["suppressAlert"] = not bool(spec["create_alert"])
            if spec.get("body") is None:
                h._refresh_source(st, spec["path"])  # pylint: disable=protected-access
            st.user_files.add(h._abs(spec["path"]))  # pylint: disable=protected-access
            is_policy = spec.get("analysis_type") == "policy"
            error = None
            detection = None
            try:
                detection = (st.core.Policy if is_policy else st.core.Rule)(config)
                if detection.setup_exception:
                    exc = detection.setup_exception
                    error = {
                        "type": type(exc).__name__,
                        "message": str(exc),
                        "traceback": h._frames(st, exc),  # pylint: disable=protected-access
                    }
                    detection = None
            except BaseException as exc:  # pylint: disable=broad-except
                error = {"type": type(exc).__name__, "message": str(exc), "traceback": []}
                detection = None
            rep.detections.append(detection)
            rep.policy.append(is_policy)
            rep.tracebacks.append(0)
            rep.suppressions.append([p for p in spec.get("suppressions") or [] if isinstance(p, str)])
            answers.append({"id": spec["id"], "error": error})
    global _REPLAY  # pylint: disable=global-statement
    _REPLAY = rep
    h._take_attempts()  # pylint: disable=protected-access
    return {"detections": answers, "output": out.getvalue()}


def batch(req):
    """Run one batch of events through the detections of their routes."""
    # pylint: disable=too-many-locals
    h = _harness()
    st = h._state()  # pylint: disable=protected-access
    rep = _REPLAY
    core = st.core
    panther_event = core.PantherEvent
    data_models = st.data_models
    destinations = st.destinations
    routes = [[(d, rep.detections[d], rep.policy[d], rep.suppressions[d]) for d in r]
              for r in req["routes"]]
    matches = []
    errors = []
    evaluated = 0
    out = h._BoundedText(_OUTPUT_LIMIT)  # pylint: disable=protected-access
    # panther-core logs every alert function that fell back to its default at INFO: at replay
    # volume that is noise, and Panther does not show it either.
    logging.disable(logging.INFO)
    try:
        with h._capture(out, out):  # pylint: disable=protected-access
            for e, (route, event) in enumerate(req["events"]):
                wrapped = None
                for d, detection, is_policy, suppressed in routes[route]:
                    if detection is None:
                        continue
                    if suppressed and _suppressed(event, suppressed):
                        continue
                    evaluated += 1
                    if is_policy:
                        subject = event
                    else:
                        if wrapped is None:
                            wrapped = panther_event(event, data_models.get(event.get("p_log_type")))
                        subject = wrapped
                    result = detection.run(subject, {}, destinations, batch_mode=True)
                    if result.trigger_alert:
                        match = _match(e, d, result)
                        if is_policy and not result.dedup_defined:
                            match["dedup"] = _resource_id(event) or match["dedup"]
                        matches.append(match)
                    elif result.detection_exception is not None:
                        errors.append(_rule_error(st, rep, e, d, result.detection_exception))
    finally:
        logging.disable(logging.NOTSET)
    h._take_attempts()  # pylint: disable=protected-access
    text = out.getvalue()
    return {
        "matches": matches,
        "errors": errors,
        "output": text,
        "printed": out.size + out.dropped,
        "evaluated": evaluated,
    }


def _match(e, d, result):
    return {
        "e": e,
        "d": d,
        "title": result.title_output,
        "dedup": result.dedup_output,
        "severity": result.severity_output,
        "context": result.alert_context_output,
        "destinations": result.destinations_output,
        "runbook": result.runbook_output,
        "description": result.description_output,
        "reference": result.reference_output,
        "unique": result.unique_output,
    }


def _suppressed(resource, patterns):
    """Panther does not run a policy on the resources its `Suppressions` match (by resource
    ID, `*` matching any run of characters)."""
    rid = _resource_id(resource)
    return rid is not None and any(fnmatch.fnmatchcase(rid, p) for p in patterns)


def _resource_id(resource):
    """A policy's alerts without `dedup()` are one per resource, as in Panther: the resource's
    ID is their dedup string."""
    for key in ("ResourceId", "resourceId", "Arn", "arn", "id", "Id"):
        value = resource.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _rule_error(st, rep, e, d, exc):
    entry = {"e": e, "d": d, "type": type(exc).__name__, "message": str(exc), "traceback": None}
    if rep.tracebacks[d] < _KEPT_TRACEBACKS:
        rep.tracebacks[d] += 1
        entry["traceback"] = _harness()._frames(st, exc)  # pylint: disable=protected-access
    return entry
