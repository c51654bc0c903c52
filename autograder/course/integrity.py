"""The integrity report: tampering flags and similarity between submissions, for instructors only.

It never changes a score; it lists what a person should look at (docs/integrity.md).

* ``scan(cells)``: the code the worker runs from the student's notebook (answer cells and added cells,
  ``student_cells``) is parsed with ``ast``, never run; every reach into the grader's process or the
  reference gets a ``Flag`` (cell, line, one sentence): imports of ``autograder``/``solutions`` (also
  through ``importlib``, ``__import__``, ``getattr`` and strings built by concatenation), ``sys.modules``,
  ``gc``, frame introspection, tracing hooks, ``ctypes``, IPython's input transformers and ``run_cell``,
  patching ``builtins``/torch/NumPy, ``signal``, ``atexit``, ``os.kill``, ``resource.prlimit``, code run
  from strings, IPython magics and shell lines, and files listed or named that may be classmates' notebooks.
* ``fingerprints(source)``: winnowing (Schleimer, Wilkerson and Aiken, 2003) over Python's tokens with
  identifiers made one symbol, strings another, comments and docstrings dropped: renamed variables,
  reordered functions and rewritten comments change nothing.  Every k-gram of the release notebook (the
  starter code) is removed.  A pair's score is the share of the smaller side's fingerprints found in the
  other's; the reference solution takes part as one more submission.

``write`` keeps ``OUT/integrity/<assignment>.json`` per assignment and renders ``OUT/integrity.html`` and
``OUT/integrity.csv`` from all of them.
"""
import ast
import base64
import csv
import hashlib
import io
import json
import keyword
import re
import tokenize
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.figure import Figure

from autograder import assignments, results
from autograder.engine.notebook import as_python, InvalidSubmission, nbgrader_meta, read_submission, steps

THRESHOLD = 0.6      # pairs at or above this score are listed (docs/integrity.md: how it was chosen)
MIN_SHARED = 8       # ... when they share at least this many fingerprints
K = 12               # tokens per k-gram
WINDOW = 6           # k-grams per winnowing window
PAIRS_SHOWN = 50     # listed pairs shown side by side, most similar first
LABELLED = 40        # heat maps of at most this many entries name them on the axes
REFERENCE = "(reference)"
TEMPLATE = Path(__file__).parent / "templates" / "integrity.html.j2"


class IntegrityError(Exception):
    """The report cannot be made from these inputs; nothing was written."""


@dataclass(frozen=True)
class Flag:
    """A reach into the grader: the cell (its grade_id, or ``added cell N``), the line, one sentence."""
    cell: str
    line: int
    reason: str


# -- inputs --------------------------------------------------------------------------------------

def course_files(assignment):
    """(release notebook, reference source) of ``assignment``; IntegrityError when one is missing."""
    release = assignments.REPO / "release" / assignment / f"{assignment}.ipynb"
    reference = assignments.REPO / "solutions" / f"{assignments.module_name(assignment)}.py"
    for path in (release, reference):
        if not path.is_file():
            raise IntegrityError(f"{path} not found: the release notebook and the reference are compared too")
    return read_submission(release), reference.read_text(encoding="utf-8")


def graded(assignment, results_dir):
    """{student: results dict} of ``assignment`` in the grade command's results folder; IntegrityError when
    the folder holds none."""
    folder = Path(results_dir)
    found = {path.stem: r for path in sorted(folder.glob("*.json"))
             if (r := results.read(path)) and r["assignment"] == assignment} if folder.is_dir() else {}
    if not found:
        hint = f" (pass {folder / assignment})" if (folder / assignment).is_dir() else ""
        raise IntegrityError(f"no results of {assignment} in {folder}: expected {folder}/<student>.json{hint}")
    return found


def points(found, assignment, gradebook=None):
    """{student: points} from ``found`` (``graded``), or from the gradebook's totals; IntegrityError when the
    gradebook is unreadable."""
    if not gradebook:
        return {student: r["score"] for student, r in found.items()}
    from autograder.course import exports

    try:
        with exports.reading(gradebook) as db:
            return {g.student: round(g.total, 4) for g in exports.submission_grades(db, assignment)}
    except exports.ExportError as exc:
        raise IntegrityError(str(exc)) from None


def recorded(found):
    """{student: [Flag]}: what the sandboxed worker saw each student's cells replace in the grader's process
    (``engine.watch``), from ``found`` (``graded``); line 0, as no line is known."""
    flags = {}
    for student, result in found.items():
        for fact in result.get("replaced", []) if isinstance(result.get("replaced"), list) else []:
            if isinstance(fact, dict) and isinstance(fact.get("names"), list):
                names = ", ".join(str(name)[:200] for name in fact["names"][:20])
                flags.setdefault(student, []).append(Flag(
                    str(fact.get("cell"))[:100], 0, f"while it ran, it replaced {names} (seen by the sandboxed worker)"))
    return flags


def read(found):
    """({student: notebook}, [note]) of ``batch.discover``'s submissions; those without a readable notebook
    get a note instead."""
    notebooks, notes = {}, []
    for submission in found:
        if submission.problem:
            notes.append(f"{submission.student}: not compared ({submission.problem[0]})")
            continue
        try:
            notebooks[submission.student] = read_submission(submission.notebook)
        except InvalidSubmission as exc:
            notes.append(f"{submission.student}: not compared ({exc})")
    return notebooks, notes


# -- which cells are the student's ---------------------------------------------------------------

def student_cells(release, notebook):
    """[(label, source)]: the cells whose code the worker runs from the student's notebook, those
    ``engine.notebook.steps`` marks ``own`` (answer cells, each grade_id once, and cells the release does not
    have), each with its label (grade_id, or ``added cell N``)."""
    return [(step["label"], step["source"]) for step in steps(release, notebook) if step["own"]]


# -- tampering flags -----------------------------------------------------------------------------

GRADER = {"autograder": "the grader's own package", "solutions": "the reference solutions"}
MODULES = {  # using these at all reaches into the grader's process or other students' files
    "gc": "the garbage collector hands out the grader's objects", "inspect": "frame introspection",
    "ctypes": "ctypes writes into the process's memory", "signal": "signal handlers outlive the cell",
    "atexit": "exit hooks run after the grader's code", "builtins": "builtins are shared with the grader",
    "importlib": "imports a module by a name built at run time", "resource": "resource limits are the grader's",
    "IPython": "IPython's machinery runs the grader's cells", "glob": "lists files, classmates' notebooks among them",
    "nbformat": "reads notebooks, classmates' among them",
}
PATHS = {  # dotted names (aliases resolved) and why each is flagged
    "sys.modules": "sys.modules holds the grader's loaded modules", "sys._getframe": "frame introspection",
    "sys._current_frames": "frame introspection", "sys.settrace": "a tracing hook sees the grader's frames",
    "sys.setprofile": "a profiling hook sees the grader's frames", "threading.settrace": "a tracing hook",
    "threading.setprofile": "a profiling hook", "os.kill": "signals a process, the grader's among them",
    "os.killpg": "signals a process group", "resource.prlimit": "changes the grader's resource limits",
    "get_ipython": "IPython's shell runs the grader's cells", "__import__": "imports a module by a name built "
    "at run time", "__builtins__": "builtins are shared with the grader", "exec": "runs code built at run time",
    "eval": "runs code built at run time", "compile": "compiles code built at run time",
    "os.listdir": "lists files, classmates' notebooks among them", "os.scandir": "lists files",
    "os.walk": "lists files, classmates' notebooks among them",
}
ATTRIBUTES = {  # attribute names that only reach into the interpreter, IPython or the file system
    "input_transformers_cleanup": "an IPython input transformer rewrites the grader's cells",
    "input_transformers_post": "an IPython input transformer rewrites the grader's cells",
    "run_cell": "IPython's run_cell", "f_back": "frame introspection", "f_globals": "frame introspection",
    "f_locals": "frame introspection", "tb_frame": "frame introspection", "gi_frame": "frame introspection",
    "__globals__": "a function's globals, the grader's among them", "__subclasses__": "class introspection",
    "rglob": "lists files, classmates' notebooks among them",
}
STRING_WORDS = {*ATTRIBUTES, "modules", "_getframe", "settrace", "setprofile", "__import__", "__builtins__",
                "import_module", "prlimit", "get_ipython"}  # last parts of sensitive names, when a string spells one
PATCHED = ("torch", "numpy", "builtins", "sys", "math", "autograder", "solutions")  # assigning into these
WATCHED = {*GRADER, *MODULES, *PATCHED, "os", "threading"}  # modules whose aliases are followed
COMMON_ALIASES = {"np": "numpy", "nn": "torch.nn", "F": "torch.nn.functional"}  # imported by setup cells
NOTEBOOKS = re.compile(r"submitted|\.ipynb")
SAFE_MAGICS = ("matplotlib", "config")  # line magics that run no code


def scan(cells):
    """[Flag] of ``cells`` [(label, source)], one per line at most; a cell that is not Python even for IPython
    has none (nothing of it runs)."""
    flags = {}
    for label, source in cells:
        try:
            tree = ast.parse(as_python(source))
        except (SyntaxError, ValueError):
            continue
        for flag in _Scanner(label).run(tree):
            flags.setdefault((flag.cell, flag.line), flag)
    return list(flags.values())


class _Scanner(ast.NodeVisitor):
    def __init__(self, label):
        self.label, self.flags, self.aliases = label, [], dict(COMMON_ALIASES)

    def run(self, tree):
        for node in ast.walk(tree):  # aliases first: a use may come before its import in the walk
            self.learn(node)
        self.visit(tree)
        return sorted(self.flags, key=lambda f: f.line)

    def learn(self, node):
        """Record the aliases an import or a plain ``name = module.path`` makes."""
        if isinstance(node, ast.Import):
            for name in node.names:
                root = name.name.split(".")[0]
                self.aliases[name.asname or root] = name.name if name.asname else root
        elif isinstance(node, ast.ImportFrom) and node.module:
            for name in node.names:
                self.aliases[name.asname or name.name] = f"{node.module}.{name.name}"
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and (dotted := self.dotted(node.value)) and dotted.split(".")[0] in WATCHED):
            self.aliases[node.targets[0].id] = dotted

    def flag(self, node, reason):
        self.flags.append(Flag(self.label, getattr(node, "lineno", 0), reason))

    def dotted(self, node):
        """``a.b.c`` with ``a`` resolved through the aliases, ``getattr(a, "b")`` as ``a.b``; None otherwise."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        if _is_call(node, "getattr") and len(node.args) >= 2 and isinstance(name := constant(node.args[1]), str):
            base = self.dotted(node.args[0])
            return f"{base}.{name}" if base else None
        return None

    def path(self, node, dotted, how="uses"):
        """Flag ``dotted`` when it names the grader, the reference or a tool that reaches into them."""
        root, last = dotted.split(".")[0], dotted.split(".")[-1]
        if root in GRADER:
            self.flag(node, f"{how} {dotted}: {GRADER[root]}")
        elif dotted in PATHS:
            self.flag(node, f"{how} {dotted}: {PATHS[dotted]}")
        elif last in ATTRIBUTES:
            self.flag(node, f"{how} {dotted}: {ATTRIBUTES[last]}")
        elif root in MODULES:
            self.flag(node, f"{how} {dotted}: {MODULES[root]}")

    def visit_Import(self, node):
        for name in node.names:
            self.path(node, name.name, "imports")

    def visit_ImportFrom(self, node):
        for name in node.names:
            self.path(node, f"{node.module or ''}.{name.name}".lstrip("."), "imports")

    def visit_Name(self, node):
        self.path(node, self.aliases.get(node.id, node.id))

    def visit_Attribute(self, node):
        dotted = self.dotted(node)
        self.path(node, dotted or f"(...).{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node):
        if self.safe_magic(node):
            return
        if (dotted := self.dotted(node)) is not None:  # getattr(a, "b")
            self.path(node, dotted)
        function = self.dotted(node.func)
        if function in ("getattr", "setattr", "delattr") and len(node.args) >= 2:
            self.reflection(node, function)
        self.generic_visit(node)

    def safe_magic(self, node):
        """``get_ipython().run_line_magic("matplotlib", "inline")`` and the like: no code runs."""
        return (isinstance(node.func, ast.Attribute) and node.func.attr == "run_line_magic"
                and _is_call(node.func.value, "get_ipython") and len(node.args) == 2
                and constant(node.args[0]) in SAFE_MAGICS and isinstance(constant(node.args[1]), str))

    def reflection(self, node, function):
        """``setattr``/``delattr`` on a module the grader uses, or ``getattr`` of a computed name on one."""
        target = self.dotted(node.args[0])
        if not target or target.split(".")[0] not in WATCHED:
            return
        if function != "getattr":
            self.flag(node, f"{function} on {target}: patches a module the grader uses")
        elif constant(node.args[1]) is None:
            self.flag(node, f"getattr on {target} with a name computed at run time: hides what it reaches")

    def assigned(self, targets):
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, (ast.Attribute, ast.Subscript)):
                    dotted = self.dotted(node.value if isinstance(node, ast.Subscript) else node)
                    if dotted and "." in dotted and dotted.split(".")[0] in PATCHED:
                        self.flag(node, f"assigns to {dotted}: patches a module the grader uses")

    def visit_Assign(self, node):
        self.assigned(node.targets)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self.assigned([node.target])
        self.generic_visit(node)

    def visit_Delete(self, node):
        self.assigned(node.targets)
        self.generic_visit(node)

    def visit_Constant(self, node):
        self.strings(node, node.value)

    def visit_BinOp(self, node):
        self.folded(node)

    def visit_JoinedStr(self, node):
        self.folded(node)

    def folded(self, node):
        """A string built of constants is checked whole; anything else part by part."""
        text = constant(node)
        if isinstance(text, str):
            self.strings(node, text)
        else:
            self.generic_visit(node)

    def strings(self, node, text):
        """Flag a string that names the grader, a sensitive name, or notebooks and the submitted folder."""
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        if not isinstance(text, str):
            return
        for word in re.findall(r"[A-Za-z_][\w.]*", text):
            parts = word.split(".")
            if parts[0] in GRADER or (word in PATHS and "." in word) or parts[-1] in STRING_WORDS:
                self.flag(node, f"a string names {word}: a way to reach it without naming it in code")
                return
        if NOTEBOOKS.search(text):
            self.flag(node, "a string names notebooks or the submitted folder: classmates' work may be read")


def _is_call(node, name):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def constant(node):
    """The value of a constant expression: literals, ``+`` of strings, ``"".join`` of literals, f-strings
    without fields; None for anything else."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = constant(node.left), constant(node.right)
        return left + right if isinstance(left, str) and isinstance(right, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = [constant(v) for v in node.values]
        return "".join(parts) if all(isinstance(p, str) for p in parts) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
            and isinstance(sep := constant(node.func.value), str) and len(node.args) == 1
            and isinstance(node.args[0], (ast.List, ast.Tuple))):
        parts = [constant(e) for e in node.args[0].elts]
        return sep.join(parts) if all(isinstance(p, str) for p in parts) else None
    return None


# -- similarity ----------------------------------------------------------------------------------

SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER, getattr(tokenize, "FSTRING_MIDDLE", -1), getattr(tokenize, "FSTRING_END", -1)}
STRINGS = {tokenize.STRING, getattr(tokenize, "FSTRING_START", -1)}


def tokens(source):
    """[(token, line)]: identifiers as ``V`` (attribute names after ``.`` kept), strings as ``S``, comments
    and docstrings (a string alone on its statement) dropped.  Code that stops tokenizing yields what came
    before."""
    out, statement = [], []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(as_python(source)).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                out += [] if [t for t, _ in statement] == ["S"] else statement
                statement = []
            if tok.type in SKIP:
                continue
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                text = tok.string if statement and statement[-1][0] == "." else "V"
            else:
                text = "S" if tok.type in STRINGS else tok.string
            statement.append((text, tok.start[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return out + statement


def grams(toks):
    """[(hash, position)] of every k-gram of ``toks`` (``tokens``)."""
    return [(_hash(toks[i:i + K]), i) for i in range(len(toks) - K + 1)]


def _hash(gram):
    """A 64-bit hash of a k-gram, the same in every process (winnowing keeps minima: runs must agree)."""
    text = "\x00".join(t for t, _ in gram).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def fingerprints(source, starter=frozenset()):
    """{hash: {line, ...}}: the winnowed k-gram hashes of ``source`` not in ``starter``, and the lines of
    their tokens."""
    toks = tokens(source)
    every, chosen = grams(toks), {}
    for start in range(max(1, len(every) - WINDOW + 1)):
        window = every[start:start + WINDOW]
        if window:
            h, i = min(reversed(window), key=lambda g: g[0])  # the rightmost minimum
            if h not in starter:
                chosen.setdefault(h, set()).update(line for _, line in toks[i:i + K])
    return chosen


def starter_grams(release):
    """Every k-gram hash of the release notebook's code cells: what no student wrote."""
    return frozenset(h for cell in release.cells if cell.get("cell_type") == "code"
                     for h, _ in grams(tokens(str(cell.get("source", "")))))


@dataclass
class Entry:
    """One student (or the reference): cells [(label, source)] and fingerprints {hash: {(cell index, line)}}."""
    student: str
    cells: list
    prints: dict


def entry(student, cells, starter=frozenset()):
    prints = {}
    for index, (_, source) in enumerate(cells):
        for h, lines in fingerprints(source, starter).items():
            prints.setdefault(h, set()).update((index, line) for line in lines)
    return Entry(student, cells, prints)


def similarity(entries):
    """(scores, shared): n × n arrays, the share of the smaller side's fingerprints the pair has in common,
    and how many; one matrix product over the entries' fingerprint sets."""
    columns = {h: i for i, h in enumerate({h for e in entries for h in e.prints})}
    member = np.zeros((len(entries), len(columns)), dtype=np.float32)
    for row, e in enumerate(entries):
        member[row, [columns[h] for h in e.prints]] = 1.0
    shared = member @ member.T
    sizes = member.sum(axis=1)
    smaller = np.minimum.outer(sizes, sizes)
    scores = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    return scores, shared.astype(int)


def listed(score, shared):
    """Whether a pair is listed for a person to look at."""
    return score >= THRESHOLD and shared >= MIN_SHARED


# -- the page ------------------------------------------------------------------------------------

def side(e, common):
    """[(label, [(line number, text, highlighted)])] of the cells of ``e`` holding a shared fingerprint."""
    marked = {}
    for h in common:
        for index, line in e.prints[h]:
            marked.setdefault(index, set()).add(line)
    return [(e.cells[index][0], [(n, text, n in marked[index])
                                 for n, text in enumerate(e.cells[index][1].splitlines(), 1)])
            for index in sorted(marked)]


def heat_map(names, scores):
    """``data:`` URL of a PNG of every pair's score, entries ordered by their highest score."""
    matrix = scores.copy()
    np.fill_diagonal(matrix, 0.0)
    order = sorted(range(len(names)), key=lambda i: (-matrix[i].max(initial=0.0), names[i]))
    figure = Figure(figsize=(6, 5.2))
    axes = figure.subplots()
    image = axes.imshow(matrix[np.ix_(order, order)], vmin=0, vmax=1, cmap="viridis")
    figure.colorbar(image, ax=axes, label="similarity")
    if len(names) <= LABELLED:
        labels = [names[i] for i in order]
        axes.set_xticks(range(len(names)), labels, rotation=90, fontsize=7)
        axes.set_yticks(range(len(names)), labels, fontsize=7)
    axes.set_title(f"Who resembles whom (listed from {THRESHOLD:g})", fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def analyse(assignment, notebooks, release, reference, notes=(), seen=None):
    """The JSON-ready data of one assignment: ``notebooks`` {student: notebook} against each other and
    against ``reference`` (the reference module's source), ``release`` the release notebook; ``seen``
    {student: [Flag]} the runtime facts (``recorded``) joined to the scan's flags."""
    seen = seen or {}
    starter = starter_grams(release)
    entries = [entry(student, student_cells(release, nb), starter) for student, nb in sorted(notebooks.items())]
    entries.append(entry(REFERENCE, [(f"solutions/{assignments.module_name(assignment)}.py", reference)], starter))
    scores, shared = similarity(entries)
    pairs = [(a, b) for a in range(len(entries)) for b in range(a + 1, len(entries))]
    chosen = sorted((p for p in pairs if listed(scores[p], shared[p])), key=lambda p: -scores[p])
    return {
        "assignment": assignment, "threshold": THRESHOLD, "min_shared": MIN_SHARED,
        "students": len(entries) - 1, "notes": list(notes),
        "flags": [{"student": e.student, **asdict(f)} for e in entries[:-1]
                  for f in [*scan(e.cells), *seen.get(e.student, [])]],
        "pairs": [{"a": entries[a].student, "b": entries[b].student, "score": round(float(scores[a, b]), 4),
                   "shared": int(shared[a, b])} for a, b in pairs],
        "listed": len(chosen), "shown": [shown(entries[a], entries[b], scores[a, b], shared[a, b])
                                         for a, b in chosen[:PAIRS_SHOWN]],
        "heat_map": heat_map([e.student for e in entries], scores),
    }


def shown(a, b, score, shared):
    """A listed pair, side by side: each one's cells holding common fingerprints, those lines highlighted."""
    common = a.prints.keys() & b.prints.keys()
    return {"a": a.student, "b": b.student, "score": float(score), "shared": int(shared),
            "left": side(a, common), "right": side(b, common)}


def load(out):
    """{assignment: data} of every readable ``out/integrity/<assignment>.json``."""
    found = {}
    for path in sorted((Path(out) / "integrity").glob("*.json")):
        try:
            found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def summaries(out):
    """[{assignment, students, listed, tampering}] for the class report; [] when ``out`` has no
    integrity page."""
    if not (Path(out) / "integrity.html").is_file():
        return []
    return [{"assignment": name, "students": data["students"], "listed": data["listed"],
             "tampering": len({f["student"] for f in data["flags"]})} for name, data in load(out).items()]


def write(data, out, scores=None):
    """Keep ``data`` (``analyse``) as ``out/integrity/<assignment>.json`` with ``scores`` {student: points};
    render ``out/integrity.html`` and ``out/integrity.csv`` from every assignment kept there; returns the
    page's path."""
    out = Path(out)
    (out / "integrity").mkdir(parents=True, exist_ok=True)
    data = {**data, "scores": scores or {}}
    (out / "integrity" / f"{data['assignment']}.json").write_text(json.dumps(data), encoding="utf-8")
    everything = load(out)
    environment = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    page = environment.from_string(TEMPLATE.read_text(encoding="utf-8"))
    (out / "integrity.html").write_text(page.render(assignments=list(everything.values())), encoding="utf-8")
    with open(out / "integrity.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student_a", "student_b", "score", "shared_fingerprints", "listed"])
        for name, each in everything.items():
            writer.writerows([name, results.inert(p["a"]), results.inert(p["b"]), f"{p['score']:.4f}", p["shared"],
                              int(listed(p["score"], p["shared"]))] for p in each["pairs"])
    return out / "integrity.html"
