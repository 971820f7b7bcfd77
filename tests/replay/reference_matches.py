"""Reference check for `prowl replay`, written independently of Prowl's code.

Calls panther-core directly, the way Panther's log analysis does, on the same events: every
enabled rule of a workspace with Python code (or a Simple Detection, read by the small
evaluator below) and LogTypes, bound to the data model of each
event's `p_log_type`, run with `Detection.run(..., batch_mode=True)`. Prints, as JSON, per
detection the events it alerted on ("matches") and raised on ("errors"), plus the events read.

Usage: python reference_matches.py WORKSPACE LOG_FILE... (JSON lines, plain or .gz)

Nothing of Prowl is imported: only the standard library, PyYAML and panther-core (AGPL, from
PyPI, in the environment that runs this script). Events must carry `p_log_type` (Panther's
data-lake exports do). `InlineFilters` are translated here by hand into panther-core's own
runtime filter statements (`{"statement": ...}`, what Panther's server sends back) for the
conditions below, an implementation independent of Prowl's; panther-core's runtime cannot tell a
missing field from a null one, so the events compared must carry the fields filters name. The
`p_` fields Prowl derives (`p_any_*`, `p_row_id`) are not added: the rules compared must
not read them.
"""

import gzip
import json
import os
import shutil
import sys
import tempfile

import yaml
from panther_core.data_model import DataModel
from panther_core.enriched_event import PantherEvent
from panther_core.rule import Rule


def specs(root):
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as handle:
                    try:
                        spec = yaml.safe_load(handle)
                    except yaml.YAMLError:
                        continue
                if isinstance(spec, dict) and "AnalysisType" in spec:
                    yield folder, spec


# Panther's condition names -> panther-core's runtime filter operators.
_OPERATORS = {
    "Equals": "==",
    "DoesNotEqual": "!=",
    "IsIn": "in",
    "IsNotIn": "!in",
    "StartsWith": "starts_with",
    "EndsWith": "ends_with",
    "Contains": "contains",
    "DoesNotContain": "!contains",
    "IsGreaterThan": ">",
    "IsGreaterThanOrEquals": ">=",
    "IsLessThan": "<",
    "IsLessThanOrEquals": "<=",
}


def statement(expressions, combinator="and"):
    nodes = []
    for expression in expressions:
        if "All" in expression:
            nodes.append(statement(expression["All"], "and"))
        elif "Any" in expression:
            nodes.append(statement(expression["Any"], "or"))
        else:
            nodes.append({
                "target": expression["KeyPath"],
                "operator": _OPERATORS[expression["Condition"]],
                "value": expression.get("Values", expression.get("Value")),
            })
    return {combinator: nodes}


def _field(event, key_path):
    value = event
    for name in key_path.split("."):
        if not isinstance(value, dict) or name not in value:
            return _ABSENT
        value = value[name]
    return value


_ABSENT = object()


def simple_match(expressions, event):
    """Simple Detections, for the conditions the compared workspaces use (a second, independent
    reading of Panther's reference: dotted KeyPaths, Equals, IsIn, Exists, All/Any/None)."""
    for expression in expressions:
        if "All" in expression:
            ok = simple_match(expression["All"], event)
        elif "Any" in expression:
            ok = any(simple_match([e], event) for e in expression["Any"])
        elif "None" in expression:
            ok = not any(simple_match([e], event) for e in expression["None"])
        else:
            value = _field(event, expression["KeyPath"])
            condition = expression["Condition"]
            if condition == "Equals":
                ok = value == expression["Value"]
            elif condition == "IsIn":
                ok = value in expression["Values"]
            elif condition == "Exists":
                ok = value is not _ABSENT
            else:
                raise ValueError(f"the reference does not read {condition}")
        if not ok:
            return False
    return True


class SimpleRule:  # pylint: disable=too-few-public-methods
    """What the reference needs of a Rule, for a Simple Detection."""

    class Result:  # pylint: disable=too-few-public-methods
        def __init__(self, matched):
            self.trigger_alert = matched
            self.detection_exception = None

    def __init__(self, spec):
        self.detection_id = spec["RuleID"]
        self.expressions = spec["Detection"]

    def run(self, event, *_args, **_kwargs):
        return self.Result(simple_match(self.expressions, event.to_dict()))


def load(root):
    helpers = tempfile.mkdtemp(prefix="reference-globals-")
    sys.path.append(helpers)
    rules, models, bases = [], {}, {}
    for folder, spec in specs(root):
        kind = spec["AnalysisType"]
        if kind == "global" and spec.get("Filename"):
            shutil.copy(os.path.join(folder, spec["Filename"]),
                        os.path.join(helpers, spec["GlobalID"] + ".py"))
        elif kind == "datamodel" and spec.get("Enabled"):
            params = {
                "id": spec["DataModelID"],
                "versionId": "0",
                "mappings": [{k.lower(): v for k, v in m.items()} for m in spec.get("Mappings", [])],
            }
            if spec.get("Filename"):
                with open(os.path.join(folder, spec["Filename"]), encoding="utf-8") as handle:
                    params["body"] = handle.read()
            model = DataModel(params)
            for log_type in spec.get("LogTypes", []):
                models.setdefault(log_type, model)
        elif kind == "rule":
            if spec.get("Filename"):
                bases[spec["RuleID"]] = os.path.join(folder, spec["Filename"])
            rules.append(spec)
    built = []
    for spec in rules:
        if spec.get("Enabled") is not True or not spec.get("LogTypes"):
            continue
        if "Detection" in spec:
            built.append((SimpleRule(spec), set(spec["LogTypes"])))
            continue
        path = bases.get(spec.get("BaseDetection") or spec["RuleID"])
        if path is None:
            continue
        config = {"id": spec["RuleID"], "versionId": "0", "analysisType": "RULE", "path": path}
        if spec.get("Severity"):
            config["severity"] = spec["Severity"]
        if spec.get("InlineFilters"):
            config["filters"] = {"statement": statement(spec["InlineFilters"])}
        built.append((Rule(config), set(spec["LogTypes"])))
    return built, models


def events(paths):
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict) and event.get("p_log_type") and event.get("p_event_time"):
                    yield event


def main():
    root, paths = sys.argv[1], sys.argv[2:]
    rules, models = load(root)
    counts = {rule.detection_id: {"matches": 0, "errors": 0} for rule, _ in rules}
    read = 0
    for event in events(paths):
        read += 1
        log_type = event["p_log_type"]
        wrapped = PantherEvent(event, models.get(log_type))
        for rule, log_types in rules:
            if log_type not in log_types:
                continue
            result = rule.run(wrapped, {}, {}, batch_mode=True)
            if result.trigger_alert:
                counts[rule.detection_id]["matches"] += 1
            elif result.detection_exception is not None:
                counts[rule.detection_id]["errors"] += 1
    json.dump({"events": read, "detections": counts}, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
