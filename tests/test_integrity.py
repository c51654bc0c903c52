"""The integrity report: planted copies and tampering are found, honest code is not, nothing unescaped."""
import ast
import csv
import importlib
import inspect
import io
import json
import shutil
import subprocess
import sys
import tokenize

import nbformat
import pytest

from autograder import assignments
from autograder.course import integrity, report
from conftest import ENV, REPO
from mutants import catalogues

ASSIGNMENTS = assignments.known()
DEMO = REPO / "demo" / "submitted"
COPIED = "elena"  # the demo student the planted copier copies, in every assignment


# -- building submissions ------------------------------------------------------------------------

def release(assignment):
    return nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def demo(student, assignment):
    return nbformat.read(DEMO / student / assignment / f"{assignment}.ipynb", as_version=4)


def answer_ids(notebook):
    return [c.metadata.nbgrader.grade_id for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def filled(assignment, answers, extra=()):
    """The release notebook with ``answers`` {grade_id: source} in its answer cells; ``extra`` [(grade_id,
    source)] adds a cell after the cell of that grade_id."""
    notebook = release(assignment)
    cells = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = answers.get(grade_id, cell.source)
        cells += [cell, *(nbformat.v4.new_code_cell(source) for after, source in extra if after == grade_id)]
    notebook.cells = cells
    return notebook


def disguise(source):
    """``source`` with every parameter and assigned name renamed, comments and docstrings rewritten and
    the layout changed (token by token)."""
    tree = ast.parse(source)
    names = [n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)]
    names += [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    renamed = {name: f"mi_var_{i}" for i, name in enumerate(dict.fromkeys(names))}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.NAME:
            text = renamed.get(text, text)
        elif tok.type == tokenize.COMMENT:
            text = "# lo hice yo, paso a paso"
        elif tok.type == tokenize.STRING and text.startswith('"""'):
            text = '"""Mi propia versión, escrita desde cero."""'
        out.append((tok.type, text))
    copy = tokenize.untokenize(out)
    ast.parse(copy)
    return copy


def copier(notebook, assignment):
    """A copy of ``notebook``'s answers, disguised, each function moved to the next answer cell."""
    ids = answer_ids(release(assignment))
    sources = {grade_id: c.source for c in notebook.cells
               for grade_id in [c.metadata.get("nbgrader", {}).get("grade_id")] if grade_id in ids}
    moved = [disguise(sources[grade_id]) for grade_id in ids[1:] + ids[:1]]
    return filled(assignment, dict(zip(ids, moved)))


def reference_copy(assignment):
    """The reference's functions, disguised, in the answer cells."""
    module = importlib.import_module(f"solutions.{assignments.module_name(assignment)}")
    return filled(assignment, {grade_id: disguise(inspect.getsource(getattr(module, grade_id[4:])))
                               for grade_id in answer_ids(release(assignment))})


def reference_source(assignment):
    return (REPO / "solutions" / f"{assignments.module_name(assignment)}.py").read_text(encoding="utf-8")


def analysed(assignment, notebooks):
    return integrity.analyse(assignment, notebooks, release(assignment), reference_source(assignment))


def listed(data):
    return {frozenset((p["a"], p["b"])) for p in data["pairs"] if integrity.listed(p["score"], p["shared"])}


def planted_class(assignment):
    students = sorted(p.name for p in DEMO.iterdir())
    return {**{s: demo(s, assignment) for s in students}, "copion": copier(demo(COPIED, assignment), assignment),
            "refcopia": reference_copy(assignment), "intacto": release(assignment)}


# -- similarity ----------------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_planted_copies_are_found_and_the_release_resembles_nothing(assignment):
    """A disguised copy of a classmate and of the reference are listed; the untouched release scores 0."""
    data = analysed(assignment, planted_class(assignment))
    found = listed(data)
    assert frozenset(("copion", COPIED)) in found
    assert frozenset(("refcopia", integrity.REFERENCE)) in found
    assert all(p["score"] == 0 and p["shared"] == 0 for p in data["pairs"] if "intacto" in (p["a"], p["b"]))


def test_independent_demo_solutions_are_not_listed():
    """05_perceptron's demo students wrote their own code: no pair of them, or with the reference, is listed."""
    students = sorted(p.name for p in DEMO.iterdir())
    data = analysed("05_perceptron", {s: demo(s, "05_perceptron") for s in students})
    assert listed(data) == set()
    assert max(p["score"] for p in data["pairs"]) < integrity.THRESHOLD


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a != "05_perceptron"])
def test_demo_built_from_the_reference_is_listed_with_it(assignment):
    """The demo class of 01–04 is the reference with one mistake each (beto: the untouched stub), so every
    student but beto is listed with the reference: the report sees what the demo is made of."""
    students = sorted(p.name for p in DEMO.iterdir())
    found = listed(analysed(assignment, {s: demo(s, assignment) for s in students}))
    assert {s for s in students if frozenset((s, integrity.REFERENCE)) in found} == set(students) - {"beto"}


def edited_variants(catalogue):
    """The CORRECT_VARIANTS of a catalogue written as an ``edit`` of the reference (near-copies by design)."""
    tree = ast.parse(open(catalogue.__file__, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CORRECT_VARIANTS" for t in node.targets):
            table = next(n for n in ast.walk(node.value) if isinstance(n, ast.Dict))
            return {k.value for k, v in zip(table.keys, table.values) if isinstance(v, ast.Call)}
    return set()


def variant_scores():
    """[(assignment, variant, edited, score, shared)] of every correct variant against the reference."""
    rows = []
    for assignment, catalogue in catalogues().items():
        starter = integrity.starter_grams(release(assignment))
        reference = integrity.entry(integrity.REFERENCE, [("reference", reference_source(assignment))], starter)
        edited = edited_variants(catalogue)
        for name, source in catalogue.CORRECT_VARIANTS.items():
            scores, shared = integrity.similarity([integrity.entry(name, [("v", source)], starter), reference])
            rows.append((assignment, name, name in edited, float(scores[0, 1]), int(shared[0, 1])))
    return rows


def test_independent_correct_variants_are_below_the_threshold():
    """Correct variants written from scratch resemble the reference less than the threshold; those written
    as small edits of it are near-copies, and the measured counts are the ones docs/integrity.md states."""
    rows = variant_scores()
    independent = [r for r in rows if not r[2]]
    assert [r[:2] for r in independent if integrity.listed(r[3], r[4])] == []
    edits = [r for r in rows if r[2]]
    assert (len(independent), len(edits), sum(integrity.listed(r[3], r[4]) for r in edits)) == (65, 5, 4)


# -- tampering -----------------------------------------------------------------------------------

# (name, source, the line that must be flagged): each pattern plain and obfuscated.
TAMPERING = [
    ("grader_import", "from autograder.probes.regresion_lineal import linear_forward\n", 1),
    ("grader_import_dunder", "m = __import__('auto' + 'grader.probes.regresion_lineal', fromlist=['x'])\n", 1),
    ("reference_importlib", "import importlib\nref = importlib.import_module(''.join(['sol', 'utions.x']))\n", 1),
    ("reference_string", "x = 1\nname = 'solu' + 'tions'\n", 2),
    ("sys_modules", "import sys\nsys.modules['autograder.checks.probing'].source_of = lambda f: ''\n", 2),
    ("sys_modules_getattr", "import sys as s\nm = getattr(s, 'mod' + 'ules')\n", 2),
    ("sys_modules_alias", "import sys\nt = sys\nfor k in t.modules:\n    pass\n", 3),
    ("glob_exec", "import glob\n", 1),
    ("glob_exec_call", "for p in sorted(q for q in []):\n    exec(open(p).read())\n", 2),
    ("glob_exec_obfuscated", "x = 0\nrun = getattr(__builtins__, 'ex' + 'ec')\n", 2),
    ("notebook_paths", "from pathlib import Path\nfiles = Path('/').rglob('*.ipy' + 'nb')\n", 2),
    ("classmates_folder", "x = 0\nwhere = '/curso/' + 'sub' + 'mitted'\n", 2),
    ("gc", "import gc\n", 1),
    ("gc_obfuscated", "x = 0\ng = __import__('g' + 'c')\n", 2),
    ("frame", "import inspect\n", 1),
    ("frame_back", "def f(frame):\n    return frame.f_back.f_globals\n", 2),
    ("sys_getframe", "import sys\nf = sys._getframe(1)\n", 2),
    ("sys_getframe_getattr", "import sys\nf = getattr(sys, '_get' + 'frame')(1)\n", 2),
    ("settrace", "import sys\nsys.settrace(print)\n", 2),
    ("setprofile_getattr", "import sys\ngetattr(sys, 'setpro' + 'file')(print)\n", 2),
    ("ctypes", "import ctypes\n", 1),
    ("ctypes_obfuscated", "x = 0\nc = __import__('ct' + 'ypes')\n", 2),
    ("input_transformer", "x = 0\nget_ipython().input_transformers_cleanup.append(str)\n", 2),
    ("input_transformer_getattr", "x = 0\nshell = globals()['get_' + 'ipython']()\n", 2),
    ("run_cell", "x = 0\nshell.run_cell('1')\n", 2),
    ("run_cell_getattr", "x = 0\ngetattr(shell, 'run_' + 'cell')('1')\n", 2),
    ("builtins", "import builtins\n", 1),
    ("builtins_setattr", "x = 0\nsetattr(__builtins__, 'l' + 'en', lambda s: 0)\n", 2),
    ("torch_patch", "import torch\ntorch.allclose = lambda *a, **k: True\n", 2),
    ("numpy_patch", "x = 0\nnp.testing.assert_allclose = print\n", 2),
    ("torch_setattr", "import torch\nsetattr(torch, 'all' + 'close', print)\n", 2),
    ("torch_computed_getattr", "import torch\nname = input()\nf = getattr(torch, name)\n", 3),
    ("signal", "import signal\n", 1),
    ("signal_obfuscated", "x = 0\ns = __import__('sig' + 'nal')\n", 2),
    ("atexit", "import atexit\n", 1),
    ("atexit_obfuscated", "x = 0\nhooks = __import__('at' + 'exit')\n", 2),
    ("os_kill", "import os\nos.kill(os.getppid(), 9)\n", 2),
    ("os_kill_getattr", "import os\ngetattr(os, 'ki' + 'll')(os.getppid(), 9)\n", 2),
    ("prlimit", "import resource\n", 1),
    ("prlimit_obfuscated", "import os\nr = os\ngetattr(r, 'prl' + 'imit')\n", 3),
    ("magic_run", "x = 0\n%run /curso/otro.py\n", 2),
    ("shell", "x = 0\nfiles = !ls /curso\n", 2),
    ("after_ipython_syntax", "files = !ls\nimport gc\n", 2),
]


@pytest.mark.parametrize("name, source, line", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_flagged(name, source, line):
    """Each pattern, in an answer cell and in a cell the student added, is flagged at its line."""
    first = answer_ids(release("01_regresion_lineal"))[0]
    notebook = filled("01_regresion_lineal", {first: source}, extra=[(first, source)])
    cells = integrity.student_cells(release("01_regresion_lineal"), notebook)
    flags = integrity.scan(cells)
    added = next(label for label, _ in cells if label.startswith("added cell"))
    assert {(f.cell, f.line) for f in flags} >= {(first, line), (added, line)}, flags
    assert all(f.reason.endswith(tuple("abcdefghijklmnopqrstuvwxyz")) for f in flags)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_demo_class_and_correct_variants_are_not_flagged(assignment):
    """Honest code, in the demo class's notebooks and in the catalogue's correct variants, has no flag."""
    for student in sorted(p.name for p in DEMO.iterdir()):
        assert integrity.scan(integrity.student_cells(release(assignment), demo(student, assignment))) == []
    variants = catalogues()[assignment].CORRECT_VARIANTS
    assert [n for n, source in variants.items() if integrity.scan([(n, source)])] == []


def test_a_plotting_magic_is_not_flagged():
    """``%matplotlib inline`` runs no code; ``%%time`` runs its body, which the scan cannot read."""
    assert integrity.scan([("c", "%matplotlib inline\nx = 1\n")]) == []
    assert [f.line for f in integrity.scan([("c", "%%time\nx = 1\n")])] == [1]


def test_only_the_code_the_worker_runs_is_scanned():
    """An edited locked cell (the worker runs the master's) is not scanned; a cell whose metadata claims a
    grade_id the release does not have is an added cell, and scanned."""
    notebook = filled("01_regresion_lineal", {"setup": "import gc\n"})
    fake = nbformat.v4.new_code_cell("import gc\n", metadata={"nbgrader": {"grade_id": "inventada", "locked": True}})
    notebook.cells.append(fake)
    cells = integrity.student_cells(release("01_regresion_lineal"), notebook)
    assert [f.cell for f in integrity.scan(cells)] == [f"added cell {len(notebook.cells)}"]


# -- the page, the CSV, the command and the class report ------------------------------------------

SCRIPT = "</script><script>alert('codigo')</script>"
EVIL = "<script>alert(1)<"


def test_student_ids_and_code_are_escaped(tmp_path):
    """A student id and code holding markup appear as text: the page has no script element."""
    copy = copier(demo(COPIED, "05_perceptron"), "05_perceptron")
    first = answer_ids(copy)[0]
    for notebook in (copy, demo(COPIED, "05_perceptron")):
        cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == first)
        cell.source += f"\nmarca = \"{SCRIPT}\"\nimport gc\n"
    data = analysed("05_perceptron", {EVIL: copy, COPIED: demo(COPIED, "05_perceptron")})
    assert frozenset((EVIL, COPIED)) in listed(data) and data["flags"]
    page = integrity.write(data, tmp_path, {EVIL: 1.0}).read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;" in page and "&lt;/script&gt;&lt;script&gt;alert(" in page


def fake_results(folder, assignment, scores):
    folder.mkdir(parents=True, exist_ok=True)
    for student, score in scores.items():
        result = {"assignment": assignment, "status": "graded", "score": score, "max_score": 6.0,
                  "tests": [{"name": "test_step", "score": score, "max_score": 6.0}]}
        (folder / f"{student}.json").write_text(json.dumps(result), encoding="utf-8")


def integrity_command(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "integrity", *map(str, args)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def course(tmp_path):
    """submitted/ with the demo class of 05_perceptron and a planted copier, and their results."""
    shutil.copytree(DEMO, tmp_path / "submitted")
    path = tmp_path / "submitted" / "copion" / "05_perceptron" / "05_perceptron.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(copier(demo(COPIED, "05_perceptron"), "05_perceptron"), path)
    fake_results(tmp_path / "results" / "05_perceptron", "05_perceptron",
                 {"ana": 6.0, "beto": 0.0, "carla": 2.0, "diego": 4.0, "elena": 3.0, "copion": 3.0})
    return tmp_path


def test_command_writes_the_page_csv_and_the_report_links_it(course):
    """The command lists the copier with its source; the CSV has every pair; the class report links the page."""
    out = course / "reports" / "class"
    done = integrity_command("--assignment", "05_perceptron", "--results", course / "results" / "05_perceptron",
                             "--out", out, course / "submitted")
    assert done.returncode == 0, done.stderr
    assert "0 students flagged, 1 similar pairs" in done.stdout
    with open(out / "integrity.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 * 6 // 2
    assert [(r["student_a"], r["student_b"]) for r in rows if r["listed"] == "1"] == [("copion", "elena")]
    page = (out / "integrity.html").read_text(encoding="utf-8")
    assert "copion (3.0 points) and elena (3.0 points)" in page and 'class="hit"' in page
    report.write(course / "results", out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="integrity.html">integrity.html</a>' in index
    assert '<a href="integrity.html#05_perceptron">05_perceptron</a></td><td class="n">6</td>' in index


def test_what_the_worker_saw_replaced_joins_the_flags(tmp_path):
    """Graded for real (sandboxed): a student whose added cell replaces a probe's helper through names the
    scan cannot read gets a flag from the worker's watch, on that cell; the demo class gets none."""
    shutil.copytree(DEMO, tmp_path / "submitted")
    tamper = nbformat.read(DEMO / "ana" / "05_perceptron" / "05_perceptron.ipynb", as_version=4)
    tamper.cells.insert(3, nbformat.v4.new_code_cell(
        "m = [v for k, v in vars(np).items() if k == 'random'][0]\nsetattr(m, 'seed', print)"))
    path = tmp_path / "submitted" / "tramposo" / "05_perceptron" / "05_perceptron.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(tamper, path)
    results = tmp_path / "results"
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "05_perceptron",
                             "--results", results, "--quiet", tmp_path / "submitted"], cwd=REPO, env=ENV,
                            capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stderr
    done = integrity_command("--assignment", "05_perceptron", "--results", results, "--out", tmp_path / "out",
                             tmp_path / "submitted")
    assert done.returncode == 0, done.stderr
    flags = json.loads((tmp_path / "out" / "integrity" / "05_perceptron.json").read_text())["flags"]
    assert [(f["student"], f["cell"], f["line"]) for f in flags if "sandboxed worker" in f["reason"]] == \
        [("tramposo", "added cell 4", 0)]
    assert "numpy.random.seed" in next(f["reason"] for f in flags if f["line"] == 0)
    assert {f["student"] for f in flags} == {"tramposo"}


@pytest.mark.parametrize("change, message", [
    (lambda args: args.update(results="elsewhere"), "no results of 05_perceptron in"),
    (lambda args: args.update(results="results"), "(pass"),
    (lambda args: args.update(submitted="nowhere"), "no such file or folder"),
    (lambda args: args.update(gradebook="missing.db"), "no gradebook at"),
])
def test_a_wrong_command_line_writes_nothing(course, change, message):
    """A wrong results folder, input or gradebook: exit 2, one sentence, no file written."""
    args = {"results": "results/05_perceptron", "submitted": "submitted"}
    change(args)
    extra = ["--gradebook", course / args["gradebook"]] if "gradebook" in args else []
    done = integrity_command("--assignment", "05_perceptron", "--results", course / args["results"],
                             "--out", course / "out", *extra, course / args["submitted"])
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1
    assert not (course / "out").exists()


def test_csv_cells_never_run_as_formulas(tmp_path):
    """Does a student id that a spreadsheet would run as a formula land in integrity.csv quoted, as text?"""
    formula = "=HYPERLINK(\"http://x\")"
    data = analysed("05_perceptron", {formula: copier(demo(COPIED, "05_perceptron"), "05_perceptron"),
                                      COPIED: demo(COPIED, "05_perceptron")})
    integrity.write(data, tmp_path)
    with open(tmp_path / "integrity.csv", newline="", encoding="utf-8") as handle:
        ids = {row[key] for row in csv.DictReader(handle) for key in ("student_a", "student_b")}
    assert f"'{formula}" in ids and formula not in ids
