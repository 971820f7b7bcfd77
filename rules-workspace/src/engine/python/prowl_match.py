"""Prowl's evaluator of Panther's YAML match language (Simple Detections, inline filters).

This module is Prowl's own code (Apache-2.0). The Rust side (`src/matchlang`) reads the YAML
and compiles each expression into a program (JSON, see the module docs there); this module
turns a program into Python closures once, and they run on every event. It is the only
evaluator: unit tests, replay and the alert functions of Simple Detections all call it, inside
the workers, next to panther-core.

Semantics (docs/match-language.md has the full table and the reasons):
- A path step that is missing, or a key step on a non-mapping, or an index out of range, makes
  the field *missing*; `[*]` gives the list of what every element has at the rest of the path
  (elements where it is missing or null are left out, as JMESPath does).
- Simple Detections look keys up as panther-core's PantherEvent does: the exact key, else the
  first key equal ignoring case. Inline filters run on the plain event, as panther-core's
  filters do (`to_dict()`): keys are case-sensitive.
- A positive condition is false on a missing or null field, its negated form (DoesNot…, IsNot…)
  is exactly its negation, so true there. IsNull and IsNullOrEmpty are true on a missing field;
  Exists is true on a null one.
- Types never coerce: "5" is not 5, True is not 1; a condition whose types do not apply
  (IsGreaterThan on a string, a CIDR condition on a non-IP) is false, its negation true.
- Inline filters: a missing field makes the filter expression pass (Panther's documented
  rule), whatever the condition.
- Enrichment (`p_enrichment.<table>.<selector>…`): the event's own, else the row the
  workspace's data of that lookup table gives for the selector's value (src/matchlang/lookup.rs).
"""

import ipaddress
import json
from collections.abc import Mapping

_MISSING = object()


# ---------------------------------------------------------------------------------------------
# paths
# ---------------------------------------------------------------------------------------------


def _lookup(obj, key, ci):
    if type(obj) is dict:  # pylint: disable=unidiomatic-typecheck
        value = obj.get(key, _MISSING)
    elif isinstance(obj, Mapping):
        try:
            value = obj[key]
        except (KeyError, TypeError):
            value = _MISSING
    else:
        return _MISSING
    if value is _MISSING and ci:
        lowered = key.lower()
        for k in obj:
            if isinstance(k, str) and k.lower() == lowered:
                return obj[k]
    return value


def _index(obj, i):
    if isinstance(obj, (list, tuple)) and i < len(obj):
        return obj[i]
    return _MISSING


class _Lookup:  # pylint: disable=too-few-public-methods
    """A lookup table whose data is in the workspace (see src/matchlang/lookup.rs): the row an
    event's selector value finds, as Panther attaches it under p_enrichment.<table>.<selector>."""

    def __init__(self, table):
        self.selectors = {lt: list(sels) for lt, sels in (table.get("selectors") or {}).items()}
        key = table.get("key")
        self.exact = {}
        self.networks = []
        for row in table.get("rows") or []:
            value = row.get(key) if isinstance(row, dict) else None
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            self.exact.setdefault(text, row)
            if isinstance(value, str) and "/" in value:
                net = _network(value)
                if net is not None:
                    self.networks.append((net, row))

    def row(self, event, selector):
        if not isinstance(event, Mapping) or selector not in self.selectors.get(event.get("p_log_type"), ()):
            return _MISSING
        steps = selector[2:] if selector.startswith("$.") else selector
        value = _getter([s for s in steps.split(".") if s], False)(event)
        for candidate in value if isinstance(value, list) else [value]:
            if candidate is _MISSING or candidate is None:
                continue
            text = candidate if isinstance(candidate, str) else json.dumps(candidate)
            if text in self.exact:
                return self.exact[text]
            address = _address(candidate)
            if address is not None:
                for net, row in self.networks:
                    if net.version == address.version and address in net:
                        return row
        return _MISSING


def _getter(path, ci, lookups=None):
    """A function event -> value (or _MISSING). With `lookups`, a p_enrichment.<table> path
    the event lacks is joined from the workspace's data of that table."""
    steps = list(path or [])
    if lookups and len(steps) >= 3 and steps[0] == "p_enrichment" and steps[1] in lookups:
        table, selector, rest = lookups[steps[1]], steps[2], steps[3:]
        own = _getter(steps, ci)
        tail = _getter(rest, ci) if rest else (lambda row: row)

        def enriched(event):
            value = own(event)
            if value is not _MISSING:
                return value
            row = table.row(event, selector) if isinstance(selector, str) else _MISSING
            return _MISSING if row is _MISSING else tail(row)
        return enriched
    if None in steps:
        return lambda event: _project(event, steps, ci)
    if len(steps) == 1 and isinstance(steps[0], str):
        key = steps[0]
        if not ci:
            def get1(event):
                if type(event) is dict:  # pylint: disable=unidiomatic-typecheck
                    return event.get(key, _MISSING)
                return _lookup(event, key, False)
            return get1
        def get1ci(event):
            if type(event) is dict:  # pylint: disable=unidiomatic-typecheck
                value = event.get(key, _MISSING)
                if value is not _MISSING:
                    return value
            return _lookup(event, key, True)
        return get1ci

    def get(event):
        value = event
        for step in steps:
            if isinstance(step, str):
                value = _lookup(value, step, ci)
            else:
                value = _index(value, step)
            if value is _MISSING:
                return _MISSING
        return value
    return get


def _project(value, steps, ci):
    for n, step in enumerate(steps):
        if step is None:
            if not isinstance(value, (list, tuple)):
                return _MISSING
            rest = steps[n + 1:]
            found = []
            for element in value:
                got = _project(element, rest, ci) if rest else element
                if got is _MISSING or got is None:
                    continue
                # As JMESPath: `a[*].b[*]` is a list of lists (it does not flatten).
                found.append(got)
            return found
        value = _lookup(value, step, ci) if isinstance(step, str) else _index(value, step)
        if value is _MISSING:
            return _MISSING
    return value


def _unwrap(event):
    """The plain mapping under panther-core's PantherEvent (nested values are plain)."""
    return getattr(event, "_container", event)


# ---------------------------------------------------------------------------------------------
# conditions: each positive form is f(field, operand) on a field that is present and not null
# ---------------------------------------------------------------------------------------------


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _eq(x, v):
    if isinstance(x, bool) or isinstance(v, bool):
        return isinstance(x, bool) and isinstance(v, bool) and x == v
    if _is_number(x) and _is_number(v):
        return x == v
    return type(x) is type(v) and isinstance(x, str) and x == v


def _ieq(x, v):
    if isinstance(x, str) and isinstance(v, str):
        return x.lower() == v.lower()
    return _eq(x, v)


def _starts(x, v):
    return isinstance(x, str) and isinstance(v, str) and x.startswith(v)


def _istarts(x, v):
    return isinstance(x, str) and isinstance(v, str) and x.lower().startswith(v.lower())


def _ends(x, v):
    return isinstance(x, str) and isinstance(v, str) and x.endswith(v)


def _iends(x, v):
    return isinstance(x, str) and isinstance(v, str) and x.lower().endswith(v.lower())


def _contains(x, v):
    """A string field: substring. A list field: an element equal to the value, or (a string
    value) a string element containing it."""
    if isinstance(x, str):
        return isinstance(v, str) and v in x
    if isinstance(x, (list, tuple)):
        if any(_eq(e, v) for e in x):
            return True
        return isinstance(v, str) and any(isinstance(e, str) and v in e for e in x)
    return False


def _icontains(x, v):
    if isinstance(v, str):
        low = v.lower()
        if isinstance(x, str):
            return low in x.lower()
        if isinstance(x, (list, tuple)):
            return any(isinstance(e, str) and low in e.lower() for e in x)
        return False
    return _contains(x, v)


def _compare(op):
    def compare(x, v):
        return _is_number(x) and _is_number(v) and op(x, v)
    return compare


def _is_in(x, values):
    if isinstance(x, (list, tuple)):
        return any(_is_in(e, values) for e in x if not isinstance(e, (list, tuple)))
    return any(_eq(x, v) for v in values)


def _network(text):
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _in_cidr(x, cidr):
    net, field = _network(cidr), _network(x)
    return net is not None and field is not None and field.version == net.version \
        and field.overlaps(net)


def _cidr_contains(x, cidr):
    """The field is a list of addresses (p_any_ip_addresses…); a single address counts as a
    list of one."""
    items = x if isinstance(x, (list, tuple)) else [x]
    return any(_in_cidr(e, cidr) for e in items)


def _address(x):
    if not isinstance(x, str):
        return None
    try:
        return ipaddress.ip_address(x.strip())
    except ValueError:
        return None


def _present(x, _v):
    return True


def _empty(x):
    return x is None or x is _MISSING or (isinstance(x, (str, list, tuple, dict, Mapping))
                                          and len(x) == 0)


# name -> (positive form, negated?) ; unary ones ignore the operand.
_POSITIVE = {
    "Equals": _eq,
    "IEquals": _ieq,
    "StartsWith": _starts,
    "IStartsWith": _istarts,
    "EndsWith": _ends,
    "IEndsWith": _iends,
    "Contains": _contains,
    "IContains": _icontains,
    "Has": _contains,
    "IsGreaterThan": _compare(lambda a, b: a > b),
    "IsGreaterThanOrEquals": _compare(lambda a, b: a >= b),
    "IsLessThan": _compare(lambda a, b: a < b),
    "IsLessThanOrEquals": _compare(lambda a, b: a <= b),
    "IsIn": _is_in,
    "IsIPAddressInCIDR": _in_cidr,
    "CIDRContainsIPAddresses": _cidr_contains,
    "IsIPAddress": lambda x, _v: _address(x) is not None,
    "IsIPv4Address": lambda x, _v: getattr(_address(x), "version", 0) == 4,
    "IsIPv6Address": lambda x, _v: getattr(_address(x), "version", 0) == 6,
    "IsIPAddressPublic": lambda x, _v: bool(getattr(_address(x), "is_global", False)),
    "IsIPAddressPrivate": lambda x, _v: bool(getattr(_address(x), "is_private", False)),
}
_NEGATED = {
    "DoesNotEqual": "Equals",
    "IDoesNotEqual": "IEquals",
    "DoesNotStartWith": "StartsWith",
    "IDoesNotStartWith": "IStartsWith",
    "DoesNotEndWith": "EndsWith",
    "IDoesNotEndWith": "IEndsWith",
    "DoesNotContain": "Contains",
    "IDoesNotContain": "IContains",
    "DoesNotHave": "Has",
    "IsNotIn": "IsIn",
    "IsIPAddressNotInCIDR": "IsIPAddressInCIDR",
    "CIDRDoesNotContainIPAddresses": "CIDRContainsIPAddresses",
}


def _test(name):
    """field -> bool for a condition, missing (_MISSING) and null included."""
    if name == "Exists":
        return lambda x, _v: x is not _MISSING
    if name == "DoesNotExist":
        return lambda x, _v: x is _MISSING
    if name == "IsNull":
        return lambda x, _v: x is None or x is _MISSING
    if name == "IsNotNull":
        return lambda x, _v: not (x is None or x is _MISSING)
    if name == "IsNullOrEmpty":
        return lambda x, _v: _empty(x)
    if name == "IsNotNullOrEmpty":
        return lambda x, _v: not _empty(x)
    if name in _NEGATED:
        positive = _POSITIVE[_NEGATED[name]]
        return lambda x, v: x is None or x is _MISSING or not positive(x, v)
    positive = _POSITIVE.get(name)
    if positive is None:
        # The compiler refuses unknown names; a program from elsewhere never matches.
        return lambda x, v: False
    return lambda x, v: not (x is None or x is _MISSING) and positive(x, v)


# ---------------------------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------------------------


def compile_expression(program, ci=True, filter_mode=False, lookups=None):
    """A function event -> bool for a program node (see the Rust side for the forms)."""
    # pylint: disable=too-many-return-statements
    op = program[0]
    if op == "true":
        return lambda event: True
    if op == "false":
        return lambda event: False
    if op in ("all", "any", "one", "none"):
        parts = [compile_expression(p, ci, filter_mode, lookups) for p in program[1]]
        if op == "all":
            if len(parts) == 1:
                return parts[0]
            return lambda event: all(p(event) for p in parts)
        if op == "any":
            return lambda event: any(p(event) for p in parts)
        if op == "one":
            return lambda event: sum(1 for p in parts if p(event)) == 1
        return lambda event: not any(p(event) for p in parts)
    if op == "cond":
        get = _getter(program[1], ci, lookups)
        test = _test(program[2])
        operand = program[3]
        if filter_mode:
            def filtered(event):
                x = get(event)
                return True if x is _MISSING else test(x, operand)
            return filtered
        if program[2] == "Equals" and isinstance(operand, str):
            # The most common form, without the generic dispatch.
            def equals(event):
                x = get(event)
                return type(x) is str and x == operand  # pylint: disable=unidiomatic-typecheck
            return equals
        return lambda event: test(get(event), operand)
    if op == "pair":
        left, right = _getter(program[1], ci, lookups), _getter(program[3], ci, lookups)
        test = _test(program[2])
        negated = program[2] in _NEGATED

        def pair(event):
            y = right(event)
            if y is None or y is _MISSING:
                return negated
            return test(left(event), y)
        return pair
    if op == "each":
        get = _getter(program[1], ci, lookups)
        quantifier = program[2]
        parts = [compile_expression(p, ci, filter_mode) for p in program[3]]

        def element_matches(element):
            return all(p(element) for p in parts)

        def each(event):
            items = get(event)
            if not isinstance(items, (list, tuple)):
                # A missing or non-list field has no element that matches.
                return quantifier == "NoElement"
            if quantifier == "AnyElement":
                return any(element_matches(e) for e in items)
            if quantifier == "AllElements":
                return all(element_matches(e) for e in items)
            if quantifier == "NoElement":
                return not any(element_matches(e) for e in items)
            return sum(1 for e in items if element_matches(e)) == 1
        return each
    raise ValueError(f"unknown match program node {op!r}")


def _render(value):
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        return str(value)


class SimpleDetection:
    """A compiled Simple Detection: the functions of the module Prowl runs it as."""

    def __init__(self, program):
        if isinstance(program, str):
            program = json.loads(program)
        lookups = {name: _Lookup(t) for name, t in (program.get("lookups") or {}).items()}
        self._match = compile_expression(program["detection"], lookups=lookups)
        title = program.get("title")
        self._title = None if title is None else [
            part if isinstance(part, str) else _getter(part, True, lookups) for part in title
        ]
        context = program.get("context")
        self._context = None if context is None else [
            (name, _getter(path, True, lookups)) for name, path in context
        ]
        severities = program.get("severities")
        self._severities = None if severities is None else [
            (change_to, compile_expression(cond, lookups=lookups)) for change_to, cond in severities
        ]
        group_by = program.get("group_by")
        self._group_by = None if group_by is None else [_getter(p, True, lookups) for p in group_by]

    def rule(self, event):
        return self._match(_unwrap(event))

    def title(self, event):
        event = _unwrap(event)
        return "".join(p if isinstance(p, str) else _render(p(event)) for p in self._title)

    def alert_context(self, event):
        event = _unwrap(event)
        context = {}
        for name, get in self._context:
            value = get(event)
            context[name] = None if value is _MISSING else value
        return context

    def severity(self, event):
        """The first case whose conditions all hold; none: the spec's Severity."""
        event = _unwrap(event)
        for change_to, matches in self._severities:
            if matches(event):
                return change_to
        return "DEFAULT"

    def dedup(self, event):
        """The GroupBy values, joined with ':' (missing ones empty); all empty: panther-core's
        default dedup string."""
        event = _unwrap(event)
        values = [_render(get(event)) for get in self._group_by]
        return ":".join(values) if any(values) else ""


def simple_detection(program):
    return SimpleDetection(program)


_FILTER_CLASS = None


def inline_filter(request):
    """panther-core's runtime filter for a rule's InlineFilters: panther-core runs it before
    rule(), for rules only, as at run time (a filter that does not pass means no match)."""
    global _FILTER_CLASS  # pylint: disable=global-statement
    if _FILTER_CLASS is None:
        from panther_core.filter import Filter  # pylint: disable=import-outside-toplevel

        class InlineFilter(Filter):  # pylint: disable=too-few-public-methods
            def __init__(self, compiled):  # pylint: disable=super-init-not-called
                self.condition = None
                self.exception = None
                self.nots, self.ors, self.ands = [], [], []
                self._compiled = compiled

            def filter(self, event):
                return self._compiled(_unwrap(event))

        _FILTER_CLASS = InlineFilter
    if isinstance(request, str):
        request = json.loads(request)
    # {"expression": program, "lookups": tables} (a bare program is accepted too).
    if isinstance(request, dict):
        program, lookups = request.get("expression"), request.get("lookups")
    else:
        program, lookups = request, None
    joined = {name: _Lookup(t) for name, t in (lookups or {}).items()}
    return _FILTER_CLASS(compile_expression(program, ci=False, filter_mode=True, lookups=joined))


def evaluate(program, events, ci=True, filter_mode=False):
    """Evaluates one program on many events (the property tests' entry point)."""
    matches = compile_expression(program, ci, filter_mode)
    return [bool(matches(e)) for e in events]
