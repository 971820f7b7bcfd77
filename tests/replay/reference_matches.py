"""Reference check for `prowl replay`, written independently of Prowl's code.

Calls panther-core directly, the way Panther's log analysis does, on the same events: every
enabled rule of a workspace with Python code and LogTypes, bound to the data model of each
event's `p_log_type`, run with `Detection.run(..., batch_mode=True)`. Prints, as JSON, per
detection the events it alerted on ("matches") and raised on ("errors"), plus the events read.

Usage: python reference_matches.py WORKSPACE LOG_FILE... (JSON lines, plain or .gz)

Nothing of Prowl is imported: only the standard library, PyYAML and panther-core (AGPL, from
PyPI, in the environment that runs this script). Events must carry `p_log_type` (Panther's
data-lake exports do); `InlineFilters` are not applied (Prowl does not apply them yet either),
and the `p_` fields Prowl derives (`p_any_*`, `p_row_id`) are not added: the rules compared must
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
        path = bases.get(spec.get("BaseDetection") or spec["RuleID"])
        if path is None or "Detection" in spec:
            continue
        config = {"id": spec["RuleID"], "versionId": "0", "analysisType": "RULE", "path": path}
        if spec.get("Severity"):
            config["severity"] = spec["Severity"]
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
