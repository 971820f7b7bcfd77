#!/usr/bin/env python3
"""A Panther instance of our own for the tests: a real HTTP(S) server on loopback.

It answers the GraphQL operations PAT 1.6.3 sends (as ../shared/reference/panther-spec.md §7
describes them) and the REST listing endpoints Prowl's drift uses, keeps what it receives (the
detections of every upload, every request in order), and injects faults on demand.

    python3 panther_server.py --token TOKEN [--port 0] [--cert C --key K] [--state DIR]

prints `READY <graphql url>` on stdout once it listens. Control (no token, loopback only):

    GET  /_control/log            every request so far: [{"op", "query", "variables", "rest"}]
    GET  /_control/store          the detections it holds, by kind and ID
    POST /_control/reset          forget requests, store and faults
    POST /_control/config         {"version", "async", "pending_polls", "validate_issues",
                                   "correlation_failures", "managed_schemas",
                                   "correlation_flag"}
    POST /_control/faults         [{"op": NAME|"*"|"rest", "times": N, "kind": KIND, ...}]
    POST /_control/seed           a zip (base64 in {"zip"}) taken as if uploaded

Fault kinds: `status` (HTTP `status`, optional `retry_after` seconds and `body`), `delay`
(`seconds`, then the normal answer), `drop` (the connection closed with no answer),
`malformed` (200 with a body that is not JSON), `graphql_error` (`message`, optional `code`
for `extensions.code`), `null_data`, `upload_failed` (the async upload ends FAILED with
`message`), `never_complete` (the async upload stays NOT_PROCESSED).

Only the Python standard library and PyYAML (PAT's environment has both).
"""

import argparse
import base64
import io
import json
import re
import ssl
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

LOCK = threading.Lock()

# Root fields of Panther's schema that PAT 1.6.3 (and Prowl) use.
QUERY_FIELDS = [
    "generalSettings",
    "detectionEntitiesUploadStatus",
    "validateBulkUploadStatus",
    "schemas",
    "rulePythonBody",
    "featureFlags",
]
MUTATION_FIELDS = [
    "uploadDetectionEntitiesAsync",
    "uploadDetectionEntities",
    "validateBulkUpload",
    "deleteDetections",
    "deleteSavedQueriesByName",
    "transpileSimpleDetectionsToPython",
    "transpileFilters",
    "testCorrelationRuleYAML",
]
ASYNC_FIELDS = {"uploadDetectionEntitiesAsync", "detectionEntitiesUploadStatus"}

# Where each AnalysisType lands in the upload statistics and in the REST listings.
KINDS = {
    "rule": ("rules", "rules"),
    "scheduled_rule": ("rules", "scheduled-rules"),
    "correlation_rule": ("correlationRules", "correlation-rules"),
    "policy": ("policies", "policies"),
    "global": ("globalHelpers", "globals"),
    "datamodel": ("dataModels", "data-models"),
    "lookup_table": ("lookupTables", "lookup-tables"),
    "saved_query": ("queries", "queries"),
    "scheduled_query": ("queries", "queries"),
    "pack": (None, None),
}
ID_KEYS = ["RuleID", "PolicyID", "GlobalID", "DataModelID", "QueryName", "LookupName", "PackID"]
STAT_KEYS = ["dataModels", "globalHelpers", "lookupTables", "policies", "rules", "queries",
             "correlationRules"]


def fresh_state():
    return {
        "log": [],
        "faults": [],
        "store": {},  # (rest path, id) -> item
        "receipts": {},  # receipt id -> {"polls", "result", "error", "kind"}
        "config": {
            "version": "1.118.3",
            "async": True,
            "pending_polls": 1,
            "validate_issues": None,
            "correlation_failures": [],
            "managed_schemas": [],
            "correlation_flag": True,
        },
        "next_receipt": 1,
    }


STATE = fresh_state()


UPLOAD_FAULTS = ("upload_failed", "never_complete")


def take_fault(op, upload=False):
    """The first fault that applies to `op`, consumed: the upload's own faults (`upload`), or
    those of the request."""
    with LOCK:
        for fault in STATE["faults"]:
            if (fault["kind"] in UPLOAD_FAULTS) != upload:
                continue
            if fault.get("op", "*") in ("*", op) and fault.get("times", 1) != 0:
                if fault.get("times", 1) > 0:
                    fault["times"] = fault.get("times", 1) - 1
                return dict(fault)
    return None


def item_id(spec):
    for key in ID_KEYS:
        if isinstance(spec.get(key), str):
            return spec[key]
    return None


def read_zip(data):
    """(specs with their code, errors) of an uploaded archive."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    files = {n: archive.read(n) for n in names}
    items, issues = [], []
    for name in names:
        if not name.endswith((".yml", ".yaml")):
            continue
        try:
            spec = yaml.safe_load(files[name])
        except yaml.YAMLError as e:
            issues.append({"path": name, "errorMessage": f"invalid YAML: {e}"})
            continue
        if not isinstance(spec, dict) or "AnalysisType" not in spec:
            issues.append({"path": name, "errorMessage": "not an analysis item"})
            continue
        body = None
        if isinstance(spec.get("Filename"), str):
            code_path = "/".join(name.split("/")[:-1] + [spec["Filename"]]).lstrip("/")
            raw = files.get(code_path)
            if raw is None:
                issues.append({"path": name, "errorMessage": f"{spec['Filename']} is missing"})
                continue
            body = raw.decode("utf-8", "replace")
            if code_path.endswith(".py"):
                try:
                    compile(body, code_path, "exec")
                except SyntaxError as e:
                    issues.append({"path": code_path, "errorMessage": f"SyntaxError: {e.msg} (line {e.lineno})"})
                    continue
        spec["_raw"] = files[name].decode("utf-8", "replace")
        items.append((name, spec, body))
    return items, issues


def rest_item(spec, body):
    """An item as Panther's REST API lists it."""
    kind = spec.get("AnalysisType")
    tests = []
    for t in spec.get("Tests") or []:
        data = t.get("Log", t.get("Resource"))
        tests.append({
            "name": t.get("Name"),
            "expectedResult": t.get("ExpectedResult"),
            "resource": json.dumps(data),
            "mocks": [{"objectName": m.get("objectName"), "returnValue": m.get("returnValue")}
                      for m in t.get("Mocks") or []],
        })
    out = {
        "id": item_id(spec),
        "displayName": spec.get("DisplayName", ""),
        "enabled": bool(spec.get("Enabled", False)),
        "severity": spec.get("Severity"),
        "body": body or "",
        "tests": tests,
        "tags": spec.get("Tags") or [],
        "description": spec.get("Description", ""),
        "runbook": spec.get("Runbook", ""),
        "reference": spec.get("Reference", ""),
        "managed": False,
    }
    if kind in ("rule", "scheduled_rule", "correlation_rule"):
        out["logTypes"] = spec.get("LogTypes") or []
        out["dedupPeriodMinutes"] = spec.get("DedupPeriodMinutes", 60)
        out["threshold"] = spec.get("Threshold", 1)
        if "Detection" in spec:
            out["detection"] = detection_text(spec.get("_raw", ""))
    if kind == "scheduled_rule":
        out["scheduledQueries"] = spec.get("ScheduledQueries") or []
    if kind == "policy":
        out["resourceTypes"] = spec.get("ResourceTypes") or []
    if kind in ("saved_query", "scheduled_query"):
        out = {
            "id": spec.get("QueryName"),
            "name": spec.get("QueryName"),
            "description": spec.get("Description", ""),
            "sql": spec.get("Query", ""),
            "schedule": spec.get("Schedule"),
        }
    return out


def detection_text(raw):
    """The spec's `Detection:` block as written (the instance keeps the YAML it was sent)."""
    lines, out = raw.splitlines(), []
    for line in lines:
        if out and re.match(r"^[A-Za-z_]", line):
            break
        if out or line.startswith("Detection:"):
            out.append(line)
    return "\n".join(out) + "\n"


def rest_path(spec):
    kind = spec.get("AnalysisType")
    path = KINDS.get(kind, (None, None))[1]
    if kind == "rule" and "Detection" in spec:
        return "simple-rules"
    return path


def store_upload(data):
    """Keeps an upload's items; returns the statistics Panther answers with."""
    items, _ = read_zip(data)
    stats = {k: {"modified": 0, "new": 0, "total": 0} for k in STAT_KEYS}
    with LOCK:
        for _, spec, body in items:
            kind = spec.get("AnalysisType")
            bucket, _ = KINDS.get(kind, (None, None))
            path = rest_path(spec)
            ident = item_id(spec)
            if path is None or ident is None:
                continue
            new = rest_item(spec, body)
            key = (path, ident)
            old = STATE["store"].get(key)
            if bucket:
                stats[bucket]["total"] += 1
                if old is None:
                    stats[bucket]["new"] += 1
                elif old != new:
                    stats[bucket]["modified"] += 1
            STATE["store"][key] = new
    return stats


def graphql_reply(op, query, variables):
    """The `data` of an answer (or raises ValueError for a GraphQL error)."""
    cfg = STATE["config"]
    inp = (variables or {}).get("input")
    if op == "generalSettings":
        return {"generalSettings": {"pantherVersion": cfg["version"]}}
    if op == "__schema":
        fields = lambda names: [{"name": n, "args": [], "type": {"kind": "OBJECT", "name": "X"}}
                                for n in names if cfg["async"] or n not in ASYNC_FIELDS]
        return {"__schema": {
            "queryType": {"name": "Query"},
            "mutationType": {"name": "Mutation"},
            "subscriptionType": None,
            "types": [
                {"kind": "OBJECT", "name": "Query", "fields": fields(QUERY_FIELDS)},
                {"kind": "OBJECT", "name": "Mutation", "fields": fields(MUTATION_FIELDS)},
            ],
            "directives": [],
        }}
    if op in ("uploadDetectionEntitiesAsync", "validateBulkUpload"):
        if op == "uploadDetectionEntitiesAsync" and not cfg["async"]:
            raise ValueError(("Cannot query field \"uploadDetectionEntitiesAsync\"", "GRAPHQL_VALIDATION_FAILED"))
        data = base64.b64decode(inp["data"])
        with LOCK:
            receipt = f"receipt-{STATE['next_receipt']}"
            STATE["next_receipt"] += 1
            STATE["receipts"][receipt] = {"polls": 0, "data": data, "kind": op}
        return {op: {"receiptId": receipt}}
    if op in ("detectionEntitiesUploadStatus", "validateBulkUploadStatus"):
        with LOCK:
            receipt = STATE["receipts"].get(inp)
        if receipt is None:
            return {op: {"status": "FAILED", "error": "upload does not exist", "result": None}}
        receipt["polls"] += 1
        if receipt["polls"] <= cfg["pending_polls"]:
            return {op: {"status": "NOT_PROCESSED", "error": None, "result": None}}
        fault = take_fault(op, upload=True)
        if fault and fault["kind"] == "never_complete":
            return {op: {"status": "NOT_PROCESSED", "error": None, "result": None}}
        if fault and fault["kind"] == "upload_failed":
            return {op: {"status": "FAILED", "error": fault.get("message", "upload failed"), "result": None}}
        if op == "validateBulkUploadStatus":
            _, issues = read_zip(receipt["data"])
            if cfg["validate_issues"] is not None:
                issues = cfg["validate_issues"]
            status = "FAILED" if issues else "COMPLETED"
            return {op: {"status": status, "error": "validation failed" if issues else None,
                         "result": {"issues": issues}}}
        if "result" not in receipt:
            receipt["result"] = store_upload(receipt["data"])
        return {op: {"status": "COMPLETED", "error": None, "result": receipt["result"]}}
    if op == "uploadDetectionEntities":
        return {op: store_upload(base64.b64decode(inp["data"]))}
    if op == "deleteDetections":
        with LOCK:
            found = [i for i in inp["ids"]
                     if any(k[1] == i and k[0] != "queries" for k in STATE["store"])]
            if not inp["dryRun"]:
                for key in [k for k in STATE["store"] if k[1] in found and k[0] != "queries"]:
                    del STATE["store"][key]
        return {op: {"ids": found, "savedQueryNames": []}}
    if op == "deleteSavedQueriesByName":
        with LOCK:
            found = [n for n in inp["names"] if ("queries", n) in STATE["store"]]
            if not inp["dryRun"]:
                for n in found:
                    del STATE["store"][("queries", n)]
        return {op: {"names": found, "detectionIDs": []}}
    if op == "featureFlags":
        return {op: {"flags": [{"flag": f["flag"], "treatment": cfg["correlation_flag"]}
                               for f in inp["flags"]]}}
    if op == "schemas":
        edges = [{"node": {"name": n, "isManaged": True, "createdAt": "", "description": "",
                           "referenceURL": "", "revision": 1, "spec": "", "updatedAt": ""}}
                 for n in cfg["managed_schemas"]]
        return {op: {"edges": edges}}
    if op == "testCorrelationRuleYAML":
        spec = yaml.safe_load(inp["yaml"])
        results = []
        for t in spec.get("Tests") or []:
            failed = t.get("Name") in cfg["correlation_failures"]
            results.append({"name": t.get("Name"), "passed": not failed,
                            "error": "expected an alert" if failed else None})
        return {op: {"results": results}}
    if op == "transpileFilters":
        return {op: {"transpiledFilters": [json.dumps({"statement": filter_statement(json.loads(d))})
                                           for d in inp["data"]]}}
    if op == "transpileSimpleDetectionsToPython":
        return {op: {"transpiledPython": [simple_detection_python(json.loads(d)) for d in inp["data"]]}}
    raise ValueError((f"Cannot query field \"{op}\" on type \"Query\".", "GRAPHQL_VALIDATION_FAILED"))


# A small transpiler of the match language, enough for the tests' content (Panther's own
# covers the whole language): key-path conditions, All/Any/None blocks.
OPERATORS = {
    "Equals": "==", "DoesNotEqual": "!=", "IsIn": "in", "IsNotIn": "!in",
    "StartsWith": "starts_with", "EndsWith": "ends_with", "Contains": "contains",
    "DoesNotContain": "!contains", "IsGreaterThan": ">", "IsLessThan": "<",
    "IsNullOrEmpty": "empty", "IsNotNullOrEmpty": "!empty",
}


def filter_node(m):
    for block, key in (("All", "and"), ("Any", "or"), ("None", "not"), ("OnlyOne", "or")):
        if block in m:
            return {key: [filter_node(x) for x in m[block]]}
    op = OPERATORS.get(m.get("Condition"))
    if op is None:
        raise ValueError((f"unsupported condition {m.get('Condition')}", "TRANSPILE_FAILED"))
    node = {"target": m["KeyPath"], "operator": op}
    if "Values" in m or "Value" in m:
        node["value"] = m.get("Values", m.get("Value"))
    return node


def filter_statement(filters):
    return {"and": [filter_node(m) for m in filters]}


def python_condition(m):
    for block, join, neg in (("All", " and ", False), ("Any", " or ", False), ("None", " or ", True)):
        if block in m:
            inner = join.join(f"({python_condition(x)})" for x in m[block]) or ("True" if block == "All" else "False")
            return f"not ({inner})" if neg else inner
    path = m["KeyPath"].split(".")
    get = "event.deep_get(" + ", ".join(repr(p) for p in path) + ")"
    cond, value = m.get("Condition"), m.get("Values", m.get("Value"))
    table = {
        "Equals": f"{get} == {value!r}", "DoesNotEqual": f"{get} != {value!r}",
        "IsIn": f"{get} in {value!r}", "IsNotIn": f"{get} not in {value!r}",
        "Exists": f"{get} is not None", "DoesNotExist": f"{get} is None",
        "StartsWith": f"str({get} or '').startswith({value!r})",
    }
    if cond not in table:
        raise ValueError((f"unsupported condition {cond}", "TRANSPILE_FAILED"))
    return table[cond]


def simple_detection_python(spec):
    detection = spec.get("Detection") or []
    rule = " and ".join(f"({python_condition(m)})" for m in detection) or "True"
    return f"def rule(event):\n    return bool({rule})\n"


def root_field(query):
    if "__schema" in query:
        return "__schema"
    body = query[query.index("{") + 1:] if "{" in query else ""
    m = re.match(r"\s*(\w+)", body)
    return m.group(1) if m else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    token = None

    def log_message(self, *args):  # quiet
        pass

    def send_json(self, status, value, headers=()):
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a time limit the test provokes)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def apply_fault(self, op):
        """Answers with the fault for `op` if there is one; True when it answered."""
        fault = take_fault(op)
        if fault is None:
            return False
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(fault.get("seconds", 1))
            return False
        if kind == "status":
            headers = []
            if "retry_after" in fault:
                headers.append(("Retry-After", str(fault["retry_after"])))
            self.send_json(fault["status"], fault.get("body", {"message": "fault"}), headers)
            return True
        if kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return True
        if kind == "malformed":
            self.send_json(200, b'{"data": {"trunc')
            return True
        if kind == "graphql_error":
            error = {"message": fault.get("message", "boom")}
            if "code" in fault:
                error["extensions"] = {"code": fault["code"]}
            self.send_json(200, {"errors": [error], "data": None})
            return True
        if kind == "null_data":
            self.send_json(200, {"data": None})
            return True
        raise ValueError(f"unknown fault kind {kind}")

    def authorised(self):
        if self.headers.get("X-API-Key") != Handler.token:
            self.send_json(401, {"message": "Unauthorized"})
            return False
        return True

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_control/log":
            with LOCK:
                return self.send_json(200, STATE["log"])
        if url.path == "/_control/store":
            with LOCK:
                return self.send_json(200, {f"{k[0]}/{k[1]}": v for k, v in STATE["store"].items()})
        path = url.path.strip("/").split("/")
        with LOCK:
            STATE["log"].append({"op": "rest", "rest": url.path + ("?" + url.query if url.query else "")})
        if self.apply_fault("rest"):
            return
        if not self.authorised():
            return
        kind = path[-1]
        params = parse_qs(url.query)
        limit = min(int(params.get("limit", ["100"])[0]), 100)
        cursor = int(params.get("cursor", ["0"])[0] or 0)
        with LOCK:
            rows = sorted((v for k, v in STATE["store"].items() if k[0] == kind),
                          key=lambda r: r["id"])
        page = rows[cursor:cursor + limit]
        nxt = str(cursor + limit) if cursor + limit < len(rows) else None
        self.send_json(200, {"results": page, "next": nxt})

    def do_POST(self):
        url = urlparse(self.path)
        raw = self.read_body()
        if url.path.startswith("/_control/"):
            value = json.loads(raw or b"null")
            with LOCK:
                if url.path == "/_control/reset":
                    STATE.clear()
                    STATE.update(fresh_state())
                elif url.path == "/_control/config":
                    STATE["config"].update(value)
                elif url.path == "/_control/faults":
                    STATE["faults"].extend(value)
            if url.path == "/_control/seed":
                store_upload(base64.b64decode(value["zip"]))
            return self.send_json(200, {"ok": True})
        try:
            request = json.loads(raw)
            query = request["query"]
        except (ValueError, KeyError, TypeError):
            return self.send_json(400, {"message": "not a GraphQL request"})
        op = root_field(query)
        with LOCK:
            STATE["log"].append({"op": op, "query": query, "variables": request.get("variables"),
                                 "keys": sorted(request)})
        if self.apply_fault(op):
            return
        if not self.authorised():
            return
        try:
            data = graphql_reply(op, query, request.get("variables"))
        except ValueError as e:
            message, code = e.args[0]
            return self.send_json(200, {"errors": [{"message": message, "extensions": {"code": code}}],
                                        "data": None})
        self.send_json(200, {"data": data})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    Handler.token = args.token
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    scheme = "http"
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"READY {scheme}://127.0.0.1:{server.server_address[1]}/public/graphql", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
