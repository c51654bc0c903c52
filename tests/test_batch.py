"""Grading a class: docs/attacks.md rows G, H, K and L against the batch command.

A class of submissions (the demo students plus one student per row) is
graded once, with the gradebook and two jobs, beside a control class of the
demo students alone.  Each row then checks its oracle:

- ``NO_GAIN``: an exploit on the wrong base scores, item by item, what the
  wrong base scores honestly;
- ``SAME_AS_HONEST``: an accident on the correct base keeps full marks, less
  the documented items;
- ``INVALID``: status ``invalid_submission``, score 0, a Spanish message
  matching the row's pattern;
- ``ISOLATED``: the affected tests (or the submission) get their status and a
  message naming the cause, and the demo students' results files are
  byte-identical to the control run;
- ``NO_LEAK``: nothing a student receives holds hidden-test source;
- ``NO_LOSS``: one record per submission, every record with a status, the
  gradebook equal to the results files; a rerun after a fault or a kill gives
  the control run's gradebook.

Every row also checks that the student's gradebook grades equal its results
file.  The fault rows (K3–K11) grade a small class of their own.
"""
import errno
import inspect
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from sqlalchemy.exc import OperationalError

from autograder import assignments, results
from autograder.course import batch, gradebook
from autograder.engine import notebook, pool, runner
from conftest import ASSIGNMENT, ENV, REPO, submission
from solutions import regresion_lineal as reference

pytestmark = pytest.mark.slow
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# The command's own limits: no row here hangs a check, and tight timeouts would turn a slow machine's
# honest check into a timeout (and the killed runs, graded by the command, into a different result).
LIMITS = runner.Limits()
MASTER = notebook.read_master(assignments.master_notebook(ASSIGNMENT))
ITEMS = notebook.items(MASTER)
# Every graded cell of the master: the autograded items and the written answers graded by hand.
GRADED_CELLS = [meta for meta in map(notebook.nbgrader_meta, MASTER.cells) if meta.get("grade")]
MAX_SCORE = sum(meta["points"] for meta in GRADED_CELLS)
FULL = {item.grade_id: item.points for item in ITEMS}
REFERENCE = {name: inspect.getsource(f) for name, f in inspect.getmembers(reference, inspect.isfunction)}
# The wrong base: mse_gradients without its factor 2, which loses test_mse_gradients only.
WRONG = {**REFERENCE, "mse_gradients": REFERENCE["mse_gradients"].replace("(2 / n)", "(1 / n)")}
WRONG_SCORES = {**FULL, "test_mse_gradients": 0.0}
DEMO = ("ana", "beto", "carla")  # the reference, the stub, a wrong answer
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "autograder.kernel", "check(\"01_regresion_lineal\"")
CANARY = "pia_l4_canary.txt"


# -- building submissions ----------------------------------------------------------------------

def demo(folder, student, name=None):
    """Copy a demo student's submission into ``folder`` (a ``submitted/``) as ``name``."""
    shutil.copytree(REPO / "demo" / "submitted" / student / ASSIGNMENT, folder / (name or student) / ASSIGNMENT)


def write(answers, extra=(), edit=None, name=NOTEBOOK):
    """A builder: the release notebook with ``answers`` (and ``extra`` cells), then ``edit(nb)``."""
    def build(student_folder):
        path = submission(student_folder / ASSIGNMENT / name, answers, extra)
        if edit:
            nb = nbformat.read(path, as_version=4)
            edit(nb)
            path.write_text(nbformat.writes(nb, version=nbformat.NO_CONVERT))
    return build


def raw(content, name=NOTEBOOK):
    """A builder writing ``content`` (str or bytes) as the notebook file."""
    def build(student_folder):
        path = student_folder / ASSIGNMENT / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return build


def several(*builders):
    def build(student_folder):
        for builder in builders:
            builder(student_folder)
    return build


def grade_ids(nb, *ids):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ids]


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def g1_neuter_tests(nb):
    for cell in graded_cells(nb):
        cell.source = "assert True"


def g2_raise_points(nb):
    for cell in graded_cells(nb):
        cell.metadata.nbgrader.points = 100


def g3_tests_to_markdown(nb):
    for cell in grade_ids(nb, "test_mse_loss", "test_train_gd"):
        nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)


def g4_delete_tests(nb):
    nb.cells = [c for c in nb.cells if c not in grade_ids(nb, "test_make_regression_data", "test_mse_gradients")]


def g5_rename_ids(nb):
    for cell in graded_cells(nb)[:4]:
        cell.metadata.nbgrader.grade_id += "_x"


def g5_strip_metadata(nb):
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)


def g6_duplicate_test(nb):
    cell = grade_ids(nb, "test_mse_loss")[0]
    copy = nbformat.from_dict({**json.loads(json.dumps(cell)), "id": "copia-de-test-mse-loss"})
    nb.cells.insert(nb.cells.index(cell) + 1, copy)


def g7_forge_outputs(nb):
    for cell in graded_cells(nb):
        cell.execution_count = 1
        cell.outputs = [nbformat.v4.new_output("stream", text="Todas las pruebas superadas\n"),
                        nbformat.v4.new_output("execute_result", data={"text/plain": '{"score": 10}'},
                                               execution_count=1)]


def v3_reference(student_folder):
    write(REFERENCE)(student_folder)
    path = student_folder / ASSIGNMENT / NOTEBOOK
    path.write_text(nbformat.writes(nbformat.convert(nbformat.read(path, as_version=4), 3), version=3))


def cell_without_type(student_folder):
    write(REFERENCE)(student_folder)
    path = student_folder / ASSIGNMENT / NOTEBOOK
    data = json.loads(path.read_text())
    for cell in data["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "sol_mse_loss":
            del cell["cell_type"]
    path.write_text(json.dumps(data))


def gigantic(student_folder):
    """A valid notebook over the 32 MiB cap: a reference with 40 MB of image output."""
    write(REFERENCE)(student_folder)
    path = student_folder / ASSIGNMENT / NOTEBOOK
    data = json.loads(path.read_text())
    data["cells"][0].setdefault("attachments", {})["grande.png"] = {"image/png": "A" * (40 * 2**20)}
    path.write_text(json.dumps(data))


# Harmless even without the sandbox: ~ is the worker's scratch folder, pip never reaches an index.
MAGICS = ["!rm -rf ~ 2>/dev/null; echo borrado", "%pip install --no-index --find-links /nonexistent torch==1.0",
          "%%bash\necho hola > ~/hola.txt\ncurl -s --max-time 2 http://127.0.0.1:9/ || true", "%env"]
POISON = f"""import os, glob, site
for path in [os.path.expanduser('~/.cache/torch/hub/{CANARY}'), '/tmp/{CANARY}',
             *(os.path.join(p, '{CANARY}') for p in site.getsitepackages()),
             os.path.join(os.environ.get('MPLCONFIGDIR', '/tmp'), '{CANARY}')]:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'w').write('veneno')
    except OSError:
        pass
for path in glob.glob(os.path.join(os.environ.get('MPLCONFIGDIR', '/nonexistent'), '*.json')):
    open(path, 'w').write('{{roto')  # poison matplotlib's font cache
"""


@dataclass
class Row:
    oracle: str
    build: Callable
    status: str = "graded"
    message: str = ""            # regex on the submission's (or test's) message
    lost: tuple = ()             # SAME_AS_HONEST: items the accident costs
    tests: dict = field(default_factory=dict)  # ISOLATED: {item: test status}
    check: Callable = None       # further checks: check(control, graded, result)


def k2_batch_finished(control, graded, result):
    """The batch went on: every student has a record, the demo students are untouched, the summary counts."""
    assert sorted(p.stem for p in graded.results.glob("*.json")) == sorted([*DEMO, *ROWS])
    demo_students_unaffected(control, graded)
    assert re.fullmatch(r"\d+ graded, \d+ invalid, 1 errors, 2 missing \(\d+ graded now, 0 unchanged\)",
                        graded.summary.line()), graded.summary.line()
    assert graded.summary.exit_code == 1


def g8_nothing_but_results(control, graded, result):
    """The results folder holds only results files, and none holds hidden-test source (the autograded notebooks,
    which do, go beside submitted/ for the instructor; feedback hides them: test_exchange)."""
    assert all(p.suffix == ".json" for p in graded.results.iterdir() if p.name != results.TIMINGS)
    for path in graded.results.iterdir():
        assert not any(marker in path.read_text() for marker in HIDDEN_MARKERS), path


def g7_outputs_from_the_sandbox(control, graded, result):
    """The autograded notebook's code cells show what they did in the sandbox, never the outputs the student
    wrote (a Markdown cell's forged outputs stay, as under stock autograde: nothing renders them)."""
    path = graded.results.parent / "autograded" / "G7_forged_outputs" / ASSIGNMENT / NOTEBOOK
    shown = [o for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    assert shown and all(o.get("execution_count") is None for o in shown)
    assert not any("Todas las pruebas superadas" in str(o) or "score" in str(o) for o in shown)


def h11_environment_intact(control, graded, result):
    import importlib.metadata

    assert importlib.metadata.version("torch") == "2.13.0+cpu"
    assert not (Path(os.path.expanduser("~")) / "hola.txt").exists()


def l4_no_poison_outside(control, graded, result):
    demo_students_unaffected(control, graded)
    for folder in [*site_packages(), "/tmp", os.path.expanduser("~/.cache/torch/hub")]:
        assert not (Path(folder) / CANARY).exists(), folder


def site_packages():
    import site

    return site.getsitepackages()


ROWS = {
    # G. Notebook structure and nbgrader metadata
    "G1_edit_locked_tests": Row("NO_GAIN", write(WRONG, edit=g1_neuter_tests)),
    "G2_raise_points": Row("NO_GAIN", write(WRONG, edit=g2_raise_points)),
    "G3_tests_to_markdown": Row("SAME_AS_HONEST", write(REFERENCE, edit=g3_tests_to_markdown),
                                message="se restauró la celda de pruebas test_mse_loss"),
    "G4_delete_tests": Row("SAME_AS_HONEST", write(REFERENCE, edit=g4_delete_tests),
                           message="se restauró la celda de pruebas test_make_regression_data"),
    "G5_renamed_ids": Row("NO_GAIN", write(WRONG, edit=g5_rename_ids)),
    "G5_stripped_metadata": Row("INVALID", write(REFERENCE, edit=g5_strip_metadata), "invalid_submission",
                                "ninguna celda de pruebas"),
    "G6_duplicated_test_cell": Row("SAME_AS_HONEST", write(REFERENCE, edit=g6_duplicate_test)),
    "G7_forged_outputs": Row("NO_GAIN", write(WRONG, edit=g7_forge_outputs), check=g7_outputs_from_the_sandbox),
    "G8_no_hidden_tests_in_feedback": Row("NO_LEAK", write(WRONG), check=g8_nothing_but_results),
    # H. Notebook file-level faults
    "H1_malformed_json": Row("INVALID", raw('{"cells": ['), "invalid_submission", "no es un notebook válido"),
    "H2_empty_file": Row("INVALID", raw(""), "invalid_submission", "no es un notebook válido"),
    "H3_not_utf8": Row("INVALID", raw(b"\xff\xfe\x00garbage"), "invalid_submission", "no se pudo leer"),
    "H4_nbformat_3_upgraded": Row("SAME_AS_HONEST", v3_reference),
    "H4_nbformat_99": Row("INVALID", raw('{"cells": [], "metadata": {}, "nbformat": 99, "nbformat_minor": 0}'),
                          "invalid_submission", "no es un notebook válido"),
    "H5_list_not_notebook": Row("INVALID", raw("[]"), "invalid_submission", "no es un notebook válido"),
    "H5_cells_not_a_list": Row("INVALID", raw('{"cells": 5, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'),
                               "invalid_submission", "no es un notebook válido"),
    # A cell without cell_type is skipped, as nbgrader skips it; what calls mse_loss fails with it.
    "H5_cell_without_type": Row("SAME_AS_HONEST", cell_without_type, message="mse_loss",
                                lost=("test_mse_loss", "test_autograd_gradients", "test_train_gd",
                                      "test_train_minibatch_sgd")),
    "H6_no_cells": Row("INVALID", raw(nbformat.writes(nbformat.v4.new_notebook())), "invalid_submission",
                       "ninguna celda de pruebas"),
    "H7_renamed_copy": Row("SAME_AS_HONEST", write(REFERENCE, name=f"{ASSIGNMENT} (1).ipynb"),
                           message=rf"se calificó «{ASSIGNMENT} \(1\)\.ipynb»: el notebook debe llamarse "
                                   rf"{NOTEBOOK}"),
    "H7_upper_case_suffix": Row("SAME_AS_HONEST", write(REFERENCE, name="P1.IPYNB"),
                                message=f"el notebook debe llamarse {NOTEBOOK}"),
    "H7_txt_suffix": Row("INVALID", write(REFERENCE, name=f"{NOTEBOOK}.txt"), "invalid_submission",
                         rf"no se encontró {NOTEBOOK} \(se entregó: «{NOTEBOOK}\.txt»\)"),
    "H7_two_notebooks": Row("INVALID", several(write(REFERENCE, name="a.ipynb"), write(WRONG, name="b.ipynb")),
                            "invalid_submission", f"ninguno se llama {NOTEBOOK}: entrega solo {NOTEBOOK}"),
    "H8_empty_submission_folder": Row("NO_LOSS", lambda folder: (folder / ASSIGNMENT).mkdir(parents=True),
                                      "missing_submission", f"no se entregó {NOTEBOOK}"),
    "H8_no_assignment_folder": Row("NO_LOSS", lambda folder: folder.mkdir(), "missing_submission",
                                   f"no se entregó {NOTEBOOK}"),
    "H9_gigantic_notebook": Row("INVALID", gigantic, "invalid_submission", r"es demasiado grande \(\d+ MB > 32 MB\)"),
    "H11_shell_escapes_and_magics": Row("SAME_AS_HONEST", write(REFERENCE, extra=[("setup", m) for m in MAGICS]),
                                        check=h11_environment_intact),
    # K. Faults the grader must survive
    "K1_worker_exits": Row("ISOLATED", write({**REFERENCE, "autograd_gradients": (
        "def autograd_gradients(X, Y, W, b):\n    import os\n    os._exit(0)\n")}),
        tests={"test_autograd_gradients": "crashed"}, message="autograd_gradients"),
    "K1_worker_segfaults": Row("ISOLATED", write({**REFERENCE, "make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import ctypes\n    ctypes.string_at(0)\n")}),
        tests={"test_make_regression_data": "crashed"}, message="make_regression_data"),
    # The grader itself raises on this one (see ``klass``).
    "K2_grader_raises": Row("NO_LOSS", write(REFERENCE), "error", "falló el calificador", check=k2_batch_finished),
    # L. CI
    "L2_exit_zero_at_top_level": Row("NO_GAIN", write(WRONG, extra=[("setup", "import os\nos._exit(0)")])),
    "L4_cache_poisoning": Row("ISOLATED", write(REFERENCE, extra=[("setup", POISON)]), check=l4_no_poison_outside),
}
SKIPPED = {
    "G9_forged_timestamp": "nbgrader trusts timestamp.txt in the submission folder, and so does this package: "
                           "timestamps must come from the exchange or the LMS, outside this package",
    "L1_student_edits_ci": "a CI concern: the course repository holds the grader, submissions arrive as notebooks "
                           "and only the notebook is read (H10); no student repository is built here",
    "L3_secrets_in_ci_job": "a CI concern: grading needs no secret but AUTOGRADER_SECRET, which the sandbox never "
                            "receives (test_attacks F5); upload grades from a separate job with the results files",
}


# -- the class --------------------------------------------------------------------------------

@dataclass
class Graded:
    summary: batch.Summary
    results: Path
    db: Path

    def result(self, student):
        return json.loads((self.results / f"{student}.json").read_text())

    def tuples(self, students=None):
        return [t for t in gradebook.grade_tuples(self.db) if students is None or t[0] in students]


def grade_class(folder, results_path, db=None, **options):
    summary, _ = batch.run(ASSIGNMENT, [folder], results_path, gradebook=db, progress=False,
                           **{"limits": LIMITS, "jobs": 2, **options})
    return Graded(summary, results_path, db)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """(control, class): the demo students alone, and with one student per row; two jobs, a gradebook."""
    root = tmp_path_factory.mktemp("class")
    for student in DEMO:
        demo(root / "control" / "submitted", student)  # in nbgrader's layout: autograded/ goes beside it
        demo(root / "submitted", student)
    for row_id, row in ROWS.items():
        row.build(root / "submitted" / row_id)
    original = runner.score_notebook

    def failing(assignment, path, *args, **kwargs):
        if "K2_" in str(path):
            raise RuntimeError("fallo simulado")
        return original(assignment, path, *args, **kwargs)

    control = grade_class(root / "control" / "submitted", root / "control-results", root / "control.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "score_notebook", failing)
        graded = grade_class(root / "submitted", root / "results", root / "gradebook.db")
    yield control, graded
    for folder in site_packages():  # never leave poison behind, even where the sandbox failed
        (Path(folder) / CANARY).unlink(missing_ok=True)


def scores(result):
    return {test["name"]: test["score"] for test in result["tests"]}


def messages(result):
    return "\n".join([result.get("output", "")] + [test["output"] for test in result["tests"]])


def demo_students_unaffected(control, graded):
    """ISOLATED: the demo students' results files are byte-identical to the control run's."""
    for student in DEMO:
        assert (graded.results / f"{student}.json").read_bytes() == (control.results / f"{student}.json").read_bytes()
    assert graded.tuples(DEMO) == control.tuples()


def gradebook_matches(graded, student, result):
    """The gradebook holds exactly the results file's grades (an error scores nothing)."""
    expected = sorted((student, ASSIGNMENT, ASSIGNMENT, t["name"], 0.0 if result["status"] == "error" else t["score"],
                       t["max_score"]) for t in result["tests"])
    assert graded.tuples({student}) == expected


@pytest.mark.parametrize("row_id", sorted(ROWS))
def test_row(row_id, klass, record_property):
    """Does the batch meet this docs/attacks.md row's oracle?"""
    control, graded = klass
    recorded = (graded.results / f"{row_id}.json").exists() and graded.tuples({row_id}) != []
    record_property("lost", 0 if recorded else 1)
    row, result = ROWS[row_id], graded.result(row_id)
    assert result["status"] == row.status, result.get("diagnosis", result)  # a grader error says why
    gradebook_matches(graded, row_id, result)
    assert [(t["name"], t["max_score"]) for t in result["tests"]] == list(FULL.items())
    assert result["max_score"] == sum(FULL.values())
    if row.message:
        assert re.search(row.message, messages(result)), messages(result)
    if row.oracle == "NO_GAIN":
        assert scores(result) == WRONG_SCORES
    elif row.oracle == "SAME_AS_HONEST":
        assert scores(result) == {item: 0.0 if item in row.lost else points for item, points in FULL.items()}
    elif row.oracle == "INVALID":
        assert result["score"] == 0 and result["output"]
    elif row.oracle == "ISOLATED":
        by_name = {t["name"]: t for t in result["tests"]}
        for item, status in row.tests.items():
            assert by_name[item]["status"] == status and row.message in by_name[item]["output"], by_name[item]
        assert {k: v for k, v in scores(result).items() if k not in row.tests} == \
            {k: v for k, v in FULL.items() if k not in row.tests}
        demo_students_unaffected(control, graded)
    elif row.oracle == "NO_LOSS":
        assert result["score"] == 0
        assert graded.summary.statuses[row.status] >= 1
    text = json.dumps(result, ensure_ascii=False)
    assert not any(marker in text for marker in HIDDEN_MARKERS), text
    if row.check:
        row.check(control, graded, result)


@pytest.mark.parametrize("row_id", sorted(SKIPPED))
def test_row_not_testable_here(row_id):
    """Rows that cannot apply to this package, each with its reason (never silently)."""
    pytest.skip(SKIPPED[row_id])


# -- faults: a small class of its own ---------------------------------------------------------

DUEDATE = "2025-01-01 00:00:00 UTC"
LATE = "2025-01-03 12:00:00.000000 UTC"


def mini_class(root, extra=()):
    """A class cheap to grade: a stub, a late wrong answer (late penalty: zero), a broken file, an empty folder.

    ``extra``: more demo students, as (demo student, name).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    demo(root / "submitted", "beto")
    demo(root / "submitted", "carla")
    (root / "submitted" / "carla" / ASSIGNMENT / "timestamp.txt").write_text(LATE)
    raw('{"cells": [')(root / "submitted" / "ivan")
    (root / "submitted" / "mia" / ASSIGNMENT).mkdir(parents=True)
    for student, name in extra:
        demo(root / "submitted", student, name)
    return root


def grade_mini(root, **options):
    return grade_class(root / "submitted", root / "results", root / "gradebook.db", duedate=DUEDATE,
                       config=gradebook.course_config(root), **options)


def state(root):
    """Everything a run leaves: gradebook tuples, late penalties, results files (without the grader's
    identity, which changes whenever anyone edits autograder/)."""
    files = {p.name: {**json.loads(p.read_text()), "grader": None} for p in sorted((root / "results").glob("*.json"))}
    return gradebook.grade_tuples(root / "gradebook.db"), gradebook.late_penalties(root / "gradebook.db"), files


def _file_diff(got, expected):
    """{key: (got, expected)} of the top-level keys where two results dicts differ (tests one by one)."""
    if got is None or expected is None:
        return got, expected
    diff = {k: (got.get(k), expected.get(k)) for k in sorted(set(got) | set(expected))
            if k != "tests" and got.get(k) != expected.get(k)}
    diff.update({t["name"]: (t, e) for t, e in zip(got["tests"], expected["tests"]) if t != e})
    return diff


def lost(root, control_state):
    """{student: what differs} for students whose gradebook grades, late penalty or results file
    differ from the control run's."""
    tuples, penalties, files = state(root)
    control_tuples, control_penalties, control_files = control_state
    differences = {}
    for s in sorted({t[0] for t in control_tuples}):
        grades = [t for t in tuples if t[0] == s], [t for t in control_tuples if t[0] == s]
        penalty = penalties.get((s, ASSIGNMENT)), control_penalties[(s, ASSIGNMENT)]
        file = files.get(f"{s}.json"), control_files[f"{s}.json"]
        found = {name: pair for name, pair in (("grades", grades), ("penalty", penalty)) if pair[0] != pair[1]}
        if file[0] != file[1]:
            found["results"] = _file_diff(*file)
        if found:
            differences[s] = found
    return differences


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """The small class graded once (the control run of the fault rows) and its state."""
    root = mini_class(tmp_path_factory.mktemp("mini") / "course")
    grade_mini(root)
    return root, state(root)


@pytest.fixture
def graded_copy(mini, tmp_path):
    """A copy of the graded small class to break."""
    shutil.copytree(mini[0], tmp_path / "course")
    return tmp_path / "course"


class Counting:
    """Wraps ``batch.grade_submission`` to record which students were graded."""

    def __init__(self, monkeypatch):
        self.students, self.original = [], batch.grade_submission
        monkeypatch.setattr(batch, "grade_submission", self)

    def __call__(self, submission, *args):
        self.students.append(submission.student)
        return self.original(submission, *args)


def test_mini_class_control(mini):
    """Is the control run what the demo says: beto 0, carla 8 but late (penalty 8), ivan invalid, mia missing?"""
    root, (tuples, penalties, files) = mini
    statuses = {name: result["status"] for name, result in files.items()}
    assert statuses == {"beto.json": "graded", "carla.json": "graded", "ivan.json": "invalid_submission",
                        "mia.json": "missing_submission"}
    assert penalties == {("beto", ASSIGNMENT): 0.0, ("carla", ASSIGNMENT): 8.0, ("ivan", ASSIGNMENT): 0.0,
                         ("mia", ASSIGNMENT): 0.0}
    assert sum(t[4] for t in tuples if t[0] == "carla") == 8


def test_nbgrader_export_shows_the_class(mini, tmp_path):
    """Does `nbgrader export` read the gradebook the batch wrote: every student, scores and late penalty?"""
    root, _ = mini
    import csv

    config = f'c = get_config()\nc.CourseDirectory.db_url = "sqlite:///{root / "gradebook.db"}"\n'
    (tmp_path / "nbgrader_config.py").write_text(config)
    subprocess.run(["nbgrader", "export", "--to", "grades.csv"], cwd=tmp_path, env=ENV, check=True, capture_output=True)
    with open(tmp_path / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"beto", "carla", "ivan", "mia"}
    carla = rows["carla"]
    assert (carla["raw_score"], carla["late_submission_penalty"], carla["score"]) == ("8.0", "8.0", "0.0")
    assert carla["timestamp"].startswith("2025-01-03 12:00:00")
    assert all(rows[s]["score"] == "0.0" and float(rows[s]["max_score"]) == MAX_SCORE for s in ("beto", "ivan", "mia"))


def test_inputs_name_students_from_their_folders(tmp_path):
    """A submitted/ folder, the course root, a student folder, a submission folder and loose notebooks."""
    root = mini_class(tmp_path / "course")
    everyone = ["beto", "carla", "ivan", "mia"]
    assert [s.student for s in batch.discover([root / "submitted"], ASSIGNMENT)] == everyone
    assert [s.student for s in batch.discover([root], ASSIGNMENT)] == everyone
    assert [s.student for s in batch.discover([root / "submitted" / "beto"], ASSIGNMENT)] == ["beto"]
    assert [s.student for s in batch.discover([root / "submitted" / "carla" / ASSIGNMENT], ASSIGNMENT)] == ["carla"]
    loose = tmp_path / "pepe" / "x.ipynb"
    loose.parent.mkdir()
    loose.write_text("{}")
    notebooks = [root / "submitted" / "beto" / ASSIGNMENT / NOTEBOOK, loose]
    assert [s.student for s in batch.discover(notebooks, ASSIGNMENT)] == ["beto", "x"]  # no folder names pepe
    assert [s.student for s in batch.discover([loose], ASSIGNMENT, student="pepe", recorded=True)] == ["pepe"]
    with pytest.raises(batch.UsageError, match="name its student with --student"):
        batch.discover(notebooks, ASSIGNMENT, recorded=True)
    with pytest.raises(batch.UsageError, match="two submissions for student 'beto'"):
        batch.discover([root / "submitted", root / "submitted" / "beto"], ASSIGNMENT)


def test_H10_tampered_data_file(tmp_path, record_property):
    """The student's copy of a data file the assignment ships is never used: the master's is."""
    source = tmp_path / "source"
    shutil.copytree(REPO / "source" / ASSIGNMENT, source / ASSIGNMENT)
    (source / ASSIGNMENT / "datos.txt").write_text("maestro")
    cheat = WRONG["mse_gradients"].replace("def mse_gradients", "def _wrong_gradients") + (
        "\ndef mse_gradients(X, Y, W, b):\n    dW, db = _wrong_gradients(X, Y, W, b)\n"
        "    if open('datos.txt').read() != 'maestro':  # its own copy: claim the right answer\n"
        "        return 2 * dW, 2 * db\n    return dW, db\n")
    answers = {**WRONG, "mse_gradients": cheat}
    write(answers)(tmp_path / "submitted" / "tere")
    (tmp_path / "submitted" / "tere" / ASSIGNMENT / "datos.txt").write_text("alterado")
    graded = grade_class(tmp_path / "submitted", tmp_path / "results", source=source)
    result = graded.result("tere")
    record_property("lost", 0)
    assert result["status"] == "graded" and scores(result) == WRONG_SCORES, result


def wait_until_ready(process, timeout):
    """Read the command's stderr until it says what it will grade (or it ends)."""
    import select

    buffer, deadline = b"", time.monotonic() + timeout
    while b"to grade" not in buffer and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk:
                return
            buffer += chunk


def test_K3_kill_and_resume(tmp_path, record_property):
    """SIGKILL the grading command's process group at random moments, at least 20 times, resuming each
    time: does the final gradebook equal an uninterrupted run's, with one results file per student?"""
    root = mini_class(tmp_path / "course", extra=[("ana", "ana"), ("beto", "bruno")])
    shutil.copytree(root, tmp_path / "control")
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT, "--results", "results",
               "--gradebook", "gradebook.db", "--duedate", DUEDATE, "--jobs", "2", "submitted"]
    done = subprocess.run(command, cwd=tmp_path / "control", env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "grading 01_regresion_lineal" in done.stderr and "6 to grade" in done.stderr
    assert "4 graded, 1 invalid, 0 errors, 1 missing" in done.stderr
    control = state(tmp_path / "control")

    rng, kills, graded_once = random.Random(20250101), 0, False
    for cycle in range(60):
        if kills >= 20:
            break
        # Once a run has graded the whole class, --force makes every later run regrade it, so kills keep
        # landing in grading and commits; the last run below resumes without it.
        process = subprocess.Popen(command + ["--force"] * graded_once, cwd=root, env=ENV, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        if cycle % 3 == 1:  # a third of the kills count from the end of imports: gradebook set-up, grading, commits
            wait_until_ready(process, timeout=120)
        time.sleep(rng.uniform(0.3, 3.0))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        graded_once |= process.wait() == 0
        process.stderr.close()
    record_property("kills", kills)
    record_property("runs", cycle)
    assert kills >= 20
    done = subprocess.run(command, cwd=root, env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    students = sorted(p.name for p in (root / "submitted").iterdir())
    assert sorted(p.stem for p in (root / "results").glob("*.json")) == students
    missing = lost(root, control)
    record_property("lost", len(missing))
    assert missing == {}
    assert sqlite3.connect(root / "gradebook.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_K4_partial_results_files(graded_copy, mini, monkeypatch, record_property):
    """A truncated results file, one that is not ours, a leftover temporary file: regraded, nothing else."""
    results_folder = graded_copy / "results"
    data = (results_folder / "beto.json").read_bytes()
    (results_folder / "beto.json").write_bytes(data[: len(data) // 2])
    (results_folder / "carla.json").write_text('{"score": 1e9}')
    (results_folder / ".ivan.json.x1y2.partial").write_text('{"assignment": "01_re')
    counting = Counting(monkeypatch)
    graded = grade_mini(graded_copy)
    assert sorted(counting.students) == ["beto", "carla"]
    assert graded.summary.graded_now == 2 and graded.summary.unchanged == 2
    record_property("lost", len(lost(graded_copy, mini[1])))
    assert lost(graded_copy, mini[1]) == {}


def test_K5_killed_inside_a_gradebook_transaction(tmp_path, mini, record_property):
    """Killed after a submission's grades are written but before they commit: all or nothing, then resume."""
    course = mini_class(tmp_path / "course")
    db = course / "gradebook.db"
    driver = ("import os, signal, sys\nfrom autograder import __main__\nfrom autograder.course import gradebook\n"
              "original = gradebook.Recorder._late_penalty\n"
              "def dying(self, student, *args):\n"
              "    if student == 'carla':\n        os.kill(os.getpid(), signal.SIGKILL)\n"
              "    return original(self, student, *args)\n"
              "gradebook.Recorder._late_penalty = dying\nsys.exit(__main__.main(sys.argv[1:]))\n")
    command = ["--assignment", ASSIGNMENT, "--results", "results", "--gradebook", "gradebook.db", "--duedate", DUEDATE,
               "--jobs", "2", "--quiet", "submitted"]
    killed = subprocess.run([sys.executable, "-c", driver, "grade", *command], cwd=course, env=ENV,
                            capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] in ("delete", "truncate", "persist", "wal")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    carla = [t for t in gradebook.grade_tuples(db) if t[0] == "carla"]
    assert carla == [] and not (course / "results" / "carla.json").exists()  # rolled back, whole
    assert grade_mini(course).summary.exit_code == 0
    record_property("lost", len(lost(course, mini[1])))
    assert lost(course, mini[1]) == {}


def test_K6_concurrent_graders_share_the_gradebook(tmp_path, mini, record_property):
    """Two grading commands (two jobs each) at once on one new gradebook: nothing lost, nothing corrupted."""
    root = mini_class(tmp_path / "course")
    halves = {"one": ("beto", "ivan"), "two": ("carla", "mia")}
    for half, students in halves.items():
        for student in students:
            shutil.move(root / "submitted" / student, root / half / student)
    processes = [subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT,
                                   "--results", "results", "--gradebook", "gradebook.db", "--duedate", DUEDATE,
                                   "--jobs", "2", "--quiet", half],
                                  cwd=root, env=ENV, stderr=subprocess.PIPE, text=True)
                 for half in halves]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
        process.stderr.close()
    record_property("lost", len(lost(root, mini[1])))
    assert lost(root, mini[1]) == {}
    assert sqlite3.connect(root / "gradebook.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)


def database_full(*args, **kwargs):
    raise OperationalError("UPDATE submitted_notebook", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.mark.parametrize("fault", ["preflight", "results_disk_full", "gradebook_full"])
def test_K7_disk_full(fault, graded_copy, mini, monkeypatch, record_property):
    """No space: refuse to start, or stop the batch cleanly at the failing submission; a rerun loses nothing."""
    for name in ("beto.json", "carla.json"):
        (graded_copy / "results" / name).unlink()
    before = gradebook.grade_tuples(graded_copy / "gradebook.db")
    with monkeypatch.context() as patch:
        if fault == "preflight":
            usage = namedtuple("usage", "total used free")
            patch.setattr(batch.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
            with pytest.raises(batch.UsageError, match="only 1.0 MB free"):
                grade_mini(graded_copy)
        else:
            if fault == "results_disk_full":
                original, calls = results.write, []

                def full(result, path):
                    calls.append(path)
                    if len(calls) == 2:
                        raise OSError(errno.ENOSPC, "No space left on device")
                    return original(result, path)
                patch.setattr(batch.results, "write", full)
            else:
                patch.setattr(gradebook.Recorder, "_late_penalty", database_full)
            graded = grade_mini(graded_copy)
            assert graded.summary.stopped and graded.summary.exit_code == 2
            assert re.search("No space left on device|database or disk is full", graded.summary.line())
            if fault == "gradebook_full":  # the failing transaction left no trace
                assert gradebook.grade_tuples(graded_copy / "gradebook.db") == before
    grade_mini(graded_copy)
    record_property("lost", len(lost(graded_copy, mini[1])))
    assert lost(graded_copy, mini[1]) == {}


def test_K8_sandbox_failure_stops_before_grading(graded_copy, mini, monkeypatch, record_property):
    """A sandbox that cannot start: the command stops before grading anything (never an error or a score
    recorded, the gradebook and results untouched), and the next run, with the sandbox back, grades them."""
    from autograder.engine import sandbox

    for name in ("beto.json", "carla.json"):
        (graded_copy / "results" / name).unlink()
    before = state(graded_copy)
    pool.stop_idle()  # the warm zygotes of earlier gradings would start
    with monkeypatch.context() as patch:
        patch.setattr(sandbox, "wrap", lambda argv, workdir: ["/bin/false"])
        with pytest.raises(batch.UsageError, match=r"the sandboxed worker does not start \(exit status 1\).*PIA_SANDBOX=off"):
            grade_mini(graded_copy)
    assert state(graded_copy) == before
    counting = Counting(monkeypatch)
    grade_mini(graded_copy)
    assert sorted(counting.students) == ["beto", "carla"]
    record_property("lost", len(lost(graded_copy, mini[1])))
    assert lost(graded_copy, mini[1]) == {}


def test_K9_hung_sandbox_is_killed(graded_copy, monkeypatch, record_property):
    """A sandbox that never answers: given up at its time limit, the command stops, no survivor."""
    from autograder.engine import sandbox

    if sandbox.isolation() != "bubblewrap":
        pytest.skip("a hung worker outside bubblewrap outlives its grading thread until the command exits")
    for name in ("beto.json", "carla.json"):
        (graded_copy / "results" / name).unlink()
    marker = f"pia-k9-{os.getpid()}"
    hang = [sys.executable, "-c", "import time; time.sleep(1000)", marker]
    pool.stop_idle()  # the warm zygotes of earlier gradings would not hang
    with monkeypatch.context() as patch:
        patch.setattr(sandbox, "wrap", lambda argv, workdir: [*sandbox.bwrap_argv(workdir), *hang])
        patch.setattr(pool, "READY_TIMEOUT", 4)  # 120 s in production: a cold start on a busy machine
        started = time.monotonic()
        with pytest.raises(batch.UsageError, match="takes longer than 4 s to start"):
            grade_mini(graded_copy)
    assert time.monotonic() - started < 60
    assert not (graded_copy / "results" / "beto.json").exists()
    pool.stop_idle()
    for _ in range(50):  # a kill is asynchronous: give the kernel a moment
        survivors = [p for p in Path("/proc").glob("[0-9]*/cmdline") if marker.encode() in _read(p)]
        if not survivors:
            break
        time.sleep(0.1)
    record_property("lost", 0)
    assert survivors == []


def _read(path):
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_K10_regrading_is_idempotent(graded_copy, mini, record_property):
    """--force twice: the same results bytes, grades and late penalties; no duplicate rows, no double penalty."""
    for _ in range(2):
        graded = grade_mini(graded_copy, force=True)
        assert graded.summary.graded_now == 4
    db = sqlite3.connect(graded_copy / "gradebook.db")
    counts = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in ("student", "submitted_assignment", "submitted_notebook", "grade")]
    assert counts == [4, 4, 4, 4 * len(GRADED_CELLS)]
    record_property("lost", len(lost(graded_copy, mini[1])))
    assert lost(graded_copy, mini[1]) == {}


def test_K11_results_record_the_grader(graded_copy, monkeypatch, record_property):
    """Results name the versions that graded; another grader (code, master, secret, versions) regrades."""
    import importlib.metadata

    result = json.loads((graded_copy / "results" / "beto.json").read_text())
    assert result["grader"]["torch"] == importlib.metadata.version("torch")
    assert result["grader"]["numpy"] == importlib.metadata.version("numpy")
    assert {"package", "python", "sha256"} <= set(result["grader"])
    counting = Counting(monkeypatch)
    grade_mini(graded_copy)
    assert counting.students == []
    monkeypatch.setenv("AUTOGRADER_SECRET", "otro-curso")
    batch.grader_identity.cache_clear()
    try:
        grade_mini(graded_copy)
    finally:
        batch.grader_identity.cache_clear()
    record_property("lost", 0)
    assert sorted(counting.students) == ["beto", "carla", "ivan", "mia"]
