"""Static audit of a pack's Python files (`prowl audit`): what the code can do, read from its
syntax tree with CPython's `ast`. Nothing here imports or runs the pack's code.

audit_static(req) -> dict
    req:    root        str   the pack's folder (files are read below it)
            files       list  paths relative to root, `/`-separated
            modules     list  global helper IDs (the module names detections import them by)
            max_literal int   string/bytes literals longer than this are reported (PA303)
            max_bytes   int   files larger than this are not parsed (reported as too large)
    answer: files       list  one entry per file, in request order:
                {path, error: None | {message, line, col},
                 findings: [{code, line, col, message}],
                 matchers: [{name, line, col, always: "truthy" | "falsy" | None}],
                 functions: [{name, line, col}]}  (top-level `def`s)
            shadowing   dict  module ID -> what it shadows ("the standard library module `x`")

The codes are Prowl's audit codes (docs/AUDIT.md); the Rust side adds severities, detection IDs
and the spec-level checks. Findings are de-duplicated per (code, line) in a file. Names are
resolved through the file's imports (`import subprocess as sp; sp.run()` is `subprocess.run`),
through `__import__("os")` and through `getattr(module, "literal")`; a string literal passed to
exec/eval/compile is parsed and analysed as code at the call's place.
"""

import ast
import functools
import os
import re
import sys

__all__ = ["audit_static"]

# Module (or module prefix) -> (code, what it gives the code).
_NETWORK = (
    "socket", "urllib.request", "urllib3", "http.client", "requests", "httpx", "aiohttp",
    "ftplib", "smtplib", "telnetlib", "poplib", "imaplib", "nntplib", "xmlrpc.client",
    "paramiko", "pycurl", "websocket", "websockets", "socketserver", "asyncio.open_connection",
)
_NETWORK_CALLS = (
    "boto3.client", "boto3.resource", "boto3.Session", "boto3.session.Session",
    "botocore.session", "google.cloud", "azure",
)
_PROCESS = (
    "subprocess", "os.system", "os.popen", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
    "os.forkpty", "os.startfile", "pty.spawn", "pty.fork", "commands",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
    "multiprocessing.Process", "multiprocessing.Pool",
)
_NATIVE = ("ctypes", "_ctypes", "cffi")
_DYNAMIC = {
    "eval", "exec", "compile", "__import__", "importlib.import_module", "importlib.__import__",
    "builtins.eval", "builtins.exec", "builtins.compile", "builtins.__import__",
    "runpy.run_path", "runpy.run_module", "types.FunctionType", "types.CodeType",
}
_EXECUTORS = {"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile",
              "types.FunctionType"}
_DECODERS = (
    "base64.", "zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress",
    "codecs.decode", "binascii.unhexlify", "binascii.a2b_", "bytes.fromhex", "bytearray.fromhex",
    "marshal.loads",
)
_DESERIALISE = {
    "pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
    "cPickle.load", "cPickle.loads", "dill.load", "dill.loads", "marshal.load", "marshal.loads",
    "shelve.open", "jsonpickle.decode", "yaml.unsafe_load", "yaml.unsafe_load_all",
    "pandas.read_pickle",
}
_FILE_WRITE_CALLS = (
    "os.remove", "os.unlink", "os.rename", "os.renames", "os.replace", "os.rmdir",
    "os.removedirs", "os.mkdir", "os.makedirs", "os.chmod", "os.chown", "os.link", "os.symlink",
    "os.truncate", "os.utime", "os.mkfifo", "shutil.copy", "shutil.copy2", "shutil.copyfile",
    "shutil.copytree", "shutil.move", "shutil.rmtree", "shutil.chown", "shutil.make_archive",
    "shutil.unpack_archive",
)
_WRITE_METHODS = {"write_text", "write_bytes", "touch", "symlink_to", "hardlink_to"}
_OPEN_CALLS = {"open", "io.open", "codecs.open", "builtins.open", "os.open"}
_PATH_CALLS = {
    "pathlib.Path", "pathlib.PosixPath", "pathlib.PurePath", "os.path.expanduser",
    "os.path.join", "os.path.expandvars", "glob.glob", "glob.iglob", "os.listdir", "os.scandir",
    "os.walk",
}
_READ_OUTSIDE_CALLS = {"os.listdir", "os.scandir", "os.walk", "glob.glob", "glob.iglob"}
_ENVIRON = {"os.environ", "os.environb", "posix.environ"}
_GETENV = {"os.getenv", "os.getenvb", "os.environ.get", "os.environ.copy", "os.environ.items",
           "os.environ.keys", "os.environ.values"}
_INTROSPECTION_ATTRS = {
    "__dict__", "__builtins__", "__subclasses__", "__globals__", "__code__", "__bases__",
    "__base__", "__mro__", "__closure__", "__getattribute__", "__loader__", "f_globals",
    "f_locals", "f_back", "f_builtins", "gi_frame", "tb_frame", "cr_frame",
}
_INTROSPECTION_CALLS = {"globals", "vars", "sys._getframe", "inspect.currentframe",
                        "inspect.stack", "inspect.getmembers"}
_SECRET = re.compile(
    r"(^|[/\\~])\.(ssh|aws|gnupg|kube|docker|netrc|pgpass|git-credentials|config/gcloud)($|[/\\])"
    r"|\bid_(rsa|dsa|ecdsa|ed25519)\b|/etc/shadow|\.aws/credentials"
)
_CREDENTIAL_METHODS = {"get_credentials", "get_frozen_credentials"}
_IMPORT_PATH = {"sys.path", "sys.meta_path", "sys.path_hooks", "sys.modules"}
_MUTATORS = {"append", "insert", "extend", "remove", "pop", "clear", "update", "__setitem__",
             "setdefault", "__delitem__"}
# Packages a detection imports that a helper must not stand in for (besides the standard
# library): Panther's runtime and what PAT's environment has.
_KNOWN_PACKAGES = {
    "panther_core", "panther_detection_helpers", "panther_analysis_tool", "boto3", "botocore",
    "requests", "urllib3", "policyuniverse", "jsonpath_ng", "dateutil", "jmespath", "yaml",
    "six", "pytz", "s3transfer", "certifi", "idna", "charset_normalizer", "ply",
}
_MAX_EXEC_DEPTH = 3


def _prefixed(name, prefixes):
    return any(name == p or name.startswith(p + ".") or (p.endswith(".") and name.startswith(p))
               for p in prefixes)


# Families of functions named by a plain prefix (`os.execv`, `os.spawnlp`, `os.posix_spawnp`).
_PLAIN_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")


def _starts(name, prefixes):
    """A module prefix (`subprocess` covers `subprocess.run`), or a family of functions."""
    return _prefixed(name, prefixes) or name.startswith(_PLAIN_PREFIXES)


@functools.lru_cache(maxsize=8192)
def _family(name):
    """The capability code a called name belongs to (PA101, PA102, PA105), or None."""
    if _starts(name, _PROCESS):
        return "PA102"
    if _prefixed(name, _NATIVE):
        return "PA105"
    if _prefixed(name, _NETWORK) or _prefixed(name, _NETWORK_CALLS):
        return "PA101"
    return None


@functools.lru_cache(maxsize=8192)
def _is_decoder(name):
    return _prefixed(name, _DECODERS) and ("decode" in name or not name.startswith("base64."))


def _is_str(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _literal_strings(node):
    for sub in ast.walk(node):
        if _is_str(sub):
            yield sub.value


# Builtins whose bare name means what it says (any other bare name is a local variable).
_BUILTINS = {"open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "__import__",
             "globals", "vars"}
_FAMILY_WORDS = {"PA101": "opens network connections", "PA102": "starts other programs",
                 "PA105": "loads or calls native code"}
# Bytes whose absence means no decoder is called (skips the decoded-data pass).
_DECODER_HINTS = (b"decode", b"decompress", b"fromhex", b"unhexlify", b"a2b_", b"marshal")


class _File:  # pylint: disable=too-many-instance-attributes
    """One file's findings, from one walk of its tree. `at` is the place every finding is moved
    to (code in a string given to exec), `depth` how deep such strings nest."""

    def __init__(self, source_lines, max_literal, at=None, depth=0):
        self.lines = source_lines
        self.max_literal = max_literal
        self.at = at
        self.depth = depth
        self.aliases = {}  # local name -> qualified name (imported names only)
        self.import_places = {}  # local name -> (node, qualified name)
        self.findings = {}
        self.called = set()  # qualified names of calls that were reported
        self.decoded = set()  # names assigned from decoded data

    # --- places and reporting -------------------------------------------------------------

    def place(self, node):
        if self.at is not None:
            return self.at
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        if 0 < line <= len(self.lines):
            col = len(self.lines[line - 1][:col].decode("utf-8", "replace"))
        return line, col + 1

    def report(self, code, node, message):
        line, col = self.place(node)
        if (code, line) not in self.findings:
            if self.at is not None:
                message = f"in code given as a string to exec/eval: {message}"
            self.findings[(code, line)] = {"code": code, "line": line, "col": col, "message": message}

    # --- names ------------------------------------------------------------------------------

    def qual(self, node):
        """The dotted name an expression refers to, through the file's imports."""
        if isinstance(node, ast.Name):
            name = self.aliases.get(node.id)
            if name is None and node.id in _BUILTINS:
                return node.id
            return name
        if isinstance(node, ast.Attribute):
            base = self.qual(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = self.qual(node.func)
            if func in ("__import__", "importlib.import_module", "builtins.__import__") and node.args and _is_str(node.args[0]):
                return node.args[0].value
            if func == "getattr" and len(node.args) >= 2 and _is_str(node.args[1]):
                base = self.qual(node.args[0])
                return f"{base}.{node.args[1].value}" if base else None
        return None

    def collect_imports(self, imports):
        for node in imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                        self.import_places[alias.asname] = (node, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        self.aliases.setdefault(top, top)
                        self.import_places[alias.name] = (node, alias.name)
            elif node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    local = alias.asname or alias.name
                    self.aliases[local] = full
                    self.import_places[local] = (node, full)

    def collect_decoded(self, assigns):
        """Names bound to decoded data (a few rounds reach names assigned from such names)."""
        for _ in range(3):
            before = len(self.decoded)
            for node in assigns:
                if node.value is not None and self.is_decoded(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        for sub in ast.walk(t):
                            if isinstance(sub, ast.Name):
                                self.decoded.add(sub.id)
            if len(self.decoded) == before:
                break

    def is_decoded(self, expr):
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Name) and sub.id in self.decoded:
                return True
            if isinstance(sub, ast.Call):
                if _is_decoder(self.qual(sub.func) or ""):
                    return True
                func = sub.func
                if isinstance(func, ast.Attribute) and func.attr in ("fromhex", "decompress", "b64decode"):
                    return True
                if (isinstance(func, ast.Attribute) and func.attr == "decode" and sub.args
                        and _is_str(sub.args[0]) and sub.args[0].value.lower().replace("-", "_") in ("rot13", "rot_13", "hex", "base64", "zlib", "bz2")):
                    return True
        return False

    # --- the walk ---------------------------------------------------------------------------

    def run(self, tree, data=b""):
        imports, calls, attributes, names, subscripts, constants, divisions, assigns = ([] for _ in range(8))
        by_type = {
            ast.Import: imports, ast.ImportFrom: imports, ast.Call: calls,
            ast.Attribute: attributes, ast.Name: names, ast.Subscript: subscripts,
            ast.Constant: constants, ast.BinOp: divisions, ast.Assign: assigns,
            ast.AnnAssign: assigns,
        }
        for node in ast.walk(tree):
            bucket = by_type.get(type(node))
            if bucket is not None:
                bucket.append(node)
        self.collect_imports(imports)
        if self.at is not None or any(h in data for h in _DECODER_HINTS):
            self.collect_decoded(assigns)
        for node in calls:
            self.call(node)
        for node in attributes:
            self.attribute(node)
        for node in names:
            if node.id == "__builtins__":
                self.report("PA108", node, "uses `__builtins__`: reaches names a reader cannot see")
            elif self.aliases.get(node.id) in _ENVIRON:
                self.report("PA110", node, f"reads the environment through `{self.aliases[node.id]}`")
        for node in subscripts:
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                self.subscript_store(node)
        for node in constants:
            if isinstance(node.value, (str, bytes)) and len(node.value) > self.max_literal:
                kind = "string" if isinstance(node.value, str) else "bytes"
                self.report("PA303", node, f"a {kind} literal of {len(node.value):,} characters: large embedded data")
        for node in divisions:
            if isinstance(node.op, ast.Div):
                self.path_division(node)
        self.unused_imports()

    def call(self, node):  # pylint: disable=too-many-branches
        name = self.qual(node.func) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name in _EXECUTORS or name in _DYNAMIC:
            self.dynamic_call(node, name)
        elif name:
            family = _family(name)
            if family:
                self.called.add(name)
                self.report(family, node, f"calls `{name}`: {_FAMILY_WORDS[family]}")
            elif name in _DESERIALISE or (name in ("yaml.load", "yaml.load_all") and not self.safe_yaml(node)):
                self.report("PA107", node, f"calls `{name}`: deserialising untrusted data can run code")
        if name in _GETENV:
            key = node.args[0].value if node.args and _is_str(node.args[0]) else None
            self.report("PA110", node, f"reads the environment{f' (`{key}`)' if key else ''} with `{name}`")
        if name in _OPEN_CALLS:
            self.open_call(node, name)
        elif name in _FILE_WRITE_CALLS or method in _WRITE_METHODS:
            self.report("PA103", node, f"calls `{name or method}`: changes files")
        elif name in _READ_OUTSIDE_CALLS:
            self.path_read(node, name)
        if name in _PATH_CALLS or name in _OPEN_CALLS or name in _READ_OUTSIDE_CALLS:
            self.secret_paths(node, name)
        if method in _CREDENTIAL_METHODS or name.startswith("botocore.credentials"):
            self.report("PA111", node, f"calls `{name or method}`: reads cloud credentials")
        if name in ("getattr", "setattr", "delattr") and len(node.args) >= 2:
            target_root = self.import_root(node.args[0])
            if name == "setattr" and target_root:
                self.report("PA113", node, f"sets an attribute of the imported `{target_root}` with setattr: changes another module's code")
            elif not _is_str(node.args[1]):
                self.report("PA108", node, f"`{name}` with a computed name: reaches attributes a reader cannot see")
        elif name in _INTROSPECTION_CALLS:
            self.report("PA108", node, f"calls `{name}`: reaches names or frames a reader cannot see")
        if method in _MUTATORS:
            owner = self.qual(node.func.value)
            if owner in _IMPORT_PATH:
                self.report("PA113", node, f"changes `{owner}`: changes how modules are imported")

    def dynamic_call(self, node, name):
        first = node.args[0] if node.args else None
        if name in _EXECUTORS and first is not None and self.is_decoded(first):
            self.report("PA109", node, f"`{name}` runs decoded data: obfuscated code")
            return
        if first is not None and _is_str(first):
            if name in ("eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"):
                self.analyse_string(first.value, node, name)
            return
        if first is None and name not in ("types.FunctionType", "types.CodeType"):
            return
        self.report("PA106", node, f"`{name}` with a computed argument: runs code a reader cannot see")

    def analyse_string(self, text, node, name):
        if self.depth >= _MAX_EXEC_DEPTH:
            self.report("PA106", node, f"`{name}` of code nested too deep to analyse")
            return
        try:
            tree = ast.parse(text, mode="eval" if name.endswith("eval") else "exec")
        except (SyntaxError, ValueError):
            return  # it fails at run time too
        inner = _File(text.encode("utf-8", "replace").split(b"\n"), self.max_literal, self.place(node), self.depth + 1)
        inner.aliases = dict(self.aliases)
        inner.run(tree)
        for key, finding in inner.findings.items():
            self.findings.setdefault(key, finding)

    def safe_yaml(self, node):
        loaders = [k.value for k in node.keywords if k.arg == "Loader"] + node.args[1:2]
        return any((self.qual(l) or "").endswith(("SafeLoader", "CSafeLoader", "BaseLoader")) for l in loaders)

    def open_call(self, node, name):
        path = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("file", "path", "filename")), None)
        mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg in ("mode", "flags")), None)
        if name == "os.open":
            flags = {n.attr for n in ast.walk(mode) if isinstance(n, ast.Attribute)} if mode is not None else set()
            writing = mode is not None and (bool(flags & {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}) or not flags)
        elif mode is None:
            writing = False
        elif _is_str(mode):
            writing = any(c in mode.value for c in "wax+")
        else:
            writing = True  # a computed mode may write
        if writing:
            self.report("PA103", node, f"`{name}` for writing: changes files")
        elif path is not None:
            self.path_read(node, name, path)

    def path_read(self, node, name, path=None):
        if path is None:
            path = node.args[0] if node.args else None
        if path is None:
            return
        if any(_SECRET.search(s) for s in _literal_strings(path)):
            return  # reported as a secret read
        if _is_str(path):
            text = path.value
            if text.startswith(("/", "~")) or ".." in text.replace("\\", "/").split("/"):
                self.report("PA104", node, f"`{name}` reads `{text[:80]}`, outside the pack")
        elif not isinstance(path, ast.Constant):
            self.report("PA104", node, f"`{name}` reads a file at a computed path, possibly outside the pack")

    def secret_paths(self, node, name):
        for arg in list(node.args) + [k.value for k in node.keywords]:
            for text in _literal_strings(arg):
                if _SECRET.search(text):
                    self.report("PA111", node, f"`{name}` names `{text[:80]}`: a credentials file")
                    return

    def path_division(self, node):
        """`Path.home() / ".ssh" / "id_rsa"`."""
        texts = [s for s in _literal_strings(node) if _SECRET.search(s)]
        if not texts:
            return
        calls = [self.qual(c.func) or "" for c in ast.walk(node) if isinstance(c, ast.Call)]
        if any(c.startswith("pathlib") or c.endswith(("Path", "home")) for c in calls):
            self.report("PA111", node, f"builds the path `{texts[0][:80]}`: a credentials file")

    def attribute(self, node):
        if node.attr in ("environ", "environb"):
            name = self.qual(node)
            if name in _ENVIRON:
                self.report("PA110", node, f"reads the environment through `{name}`")
        elif node.attr in _INTROSPECTION_ATTRS:
            self.report("PA108", node, f"uses `{node.attr}`: reaches names a reader cannot see")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = self.import_root(node.value)
            if root:
                self.report("PA113", node, f"assigns `{self.qual(node) or node.attr}`: changes the imported `{root}` for every importer")

    def subscript_store(self, node):
        owner = self.qual(node.value)
        builtins_name = isinstance(node.value, ast.Name) and node.value.id == "__builtins__"
        if owner in _IMPORT_PATH or (owner or "").startswith("builtins") or builtins_name:
            self.report("PA113", node, f"assigns into `{owner or '__builtins__'}`: changes modules for every importer")

    def import_root(self, node):
        """The imported name an attribute chain starts from (`json` in `json.loads`)."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return self.aliases[node.id]
        return None

    def unused_imports(self):
        """A dangerous module imported but never called through still gives its power (it can
        be reached with getattr, or passed on): reported at the import."""
        for node, full in self.import_places.values():
            family = _family(full) or ("PA102" if _prefixed(full, ("pty", "multiprocessing")) else None)
            if family is None:
                continue
            if any(c == full or c.startswith(full + ".") or full.startswith(c + ".") for c in self.called):
                continue
            self.report(family, node, f"imports `{full}`: {_FAMILY_WORDS[family]}")


def _matchers(tree, lines):
    out, functions = [], []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        col = len(lines[node.lineno - 1][: node.col_offset].decode("utf-8", "replace")) + 1 if node.lineno <= len(lines) else 1
        functions.append({"name": node.name, "line": node.lineno, "col": col})
        if node.name in ("rule", "policy"):
            out.append({"name": node.name, "line": node.lineno, "col": col, "always": _always(node)})
    return out, functions


def _always(func):
    """"truthy"/"falsy" when every way out of `func` returns a constant of that truthiness."""
    values = []
    stack = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return None
        if isinstance(node, ast.Return):
            if node.value is None:
                values.append(False)
            elif isinstance(node.value, ast.Constant):
                values.append(bool(node.value.value))
            else:
                return None
        stack.extend(ast.iter_child_nodes(node))
    last = func.body[-1] if func.body else None
    if not isinstance(last, (ast.Return, ast.Raise)):
        values.append(False)  # falls off the end: None
    if not values:
        return None
    if all(values):
        return "truthy"
    if not any(values):
        return "falsy"
    return None


def _analyse(root, rel, max_literal, max_bytes):
    entry = {"path": rel, "error": None, "findings": [], "matchers": [], "functions": []}
    path = os.path.join(root, rel)
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            entry["error"] = {"message": f"not analysed: {size:,} bytes is over the {max_bytes:,}-byte limit", "line": 1, "col": 1}
            return entry
        with open(path, "rb") as handle:
            data = handle.read()
        tree = ast.parse(data, rel)
    except SyntaxError as err:
        entry["error"] = {"message": f"not analysed: {err.msg}", "line": err.lineno or 1, "col": err.offset or 1}
        return entry
    except (OSError, ValueError, RecursionError, MemoryError) as err:
        entry["error"] = {"message": f"not analysed: {type(err).__name__}: {err}", "line": 1, "col": 1}
        return entry
    lines = data.split(b"\n")
    visitor = _File(lines, max_literal)
    try:
        visitor.run(tree, data)
    except RecursionError:
        entry["error"] = {"message": "not analysed: nested too deeply", "line": 1, "col": 1}
    entry["findings"] = sorted(visitor.findings.values(), key=lambda f: (f["line"], f["code"]))
    entry["matchers"], entry["functions"] = _matchers(tree, lines)
    return entry


def _shadowing(modules):
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    out = {}
    for name in modules:
        top = name.split(".")[0]
        if top in stdlib or top in sys.builtin_module_names:
            out[name] = f"the standard library module `{top}`"
        elif top in _KNOWN_PACKAGES:
            out[name] = f"the package `{top}`"
    return out


def audit_static(req):
    """See the module's documentation."""
    root = req["root"]
    max_literal = int(req.get("max_literal") or 65536)
    max_bytes = int(req.get("max_bytes") or 8 * 1024 * 1024)
    files = [_analyse(root, rel, max_literal, max_bytes) for rel in req.get("files") or []]
    return {"files": files, "shadowing": _shadowing(req.get("modules") or [])}
