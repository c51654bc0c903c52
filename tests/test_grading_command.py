"""The package's grading command, end to end on real notebooks in a child process."""
import json
import sys

import nbformat
import pytest

from conftest import ASSIGNMENT, REPO, run, submission

pytestmark = pytest.mark.slow
ITEMS = ["test_make_regression_data", "test_linear_forward", "test_mse_loss", "test_mse_gradients",
         "test_autograd_gradients", "test_train_gd", "test_train_minibatch_sgd"]


def grade(notebook, out, *options):
    """Run `python -m autograder grade`; returns (exit code, results dict)."""
    process = run(sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT,
                  "--results", str(out), *options, str(notebook), cwd=out.parent, check=False)
    assert process.returncode == 0, process.stderr
    return json.loads(out.read_text())


def scores(result):
    return {test["name"]: test["score"] for test in result["tests"]}


def test_reference_gets_full_marks(tmp_path, reference_answers):
    """Does the reference, submitted as a student would, get every point?"""
    result = grade(submission(tmp_path / "ana.ipynb", reference_answers), tmp_path / "ana.json")
    assert result["status"] == "graded"
    assert [t["name"] for t in result["tests"]] == ITEMS
    assert result["score"] == result["max_score"] == 10
    assert all(t["status"] == "passed" for t in result["tests"])


def test_release_stub_scores_zero_with_message(tmp_path):
    """Does the untouched release notebook score 0 on every item, saying it is not implemented?"""
    result = grade(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", tmp_path / "stub.json")
    assert result["status"] == "graded" and result["score"] == 0
    for test in result["tests"]:
        assert test["status"] == "failed"
        assert "todavía no está escrita" in test["output"], test


def test_results_are_byte_identical_between_runs(tmp_path, reference_answers):
    """Does grading the same submission twice write the same bytes?"""
    notebook = submission(tmp_path / "ana.ipynb", reference_answers)
    grade(notebook, tmp_path / "one.json")
    grade(notebook, tmp_path / "two.json")
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_hung_and_crashing_cells_cost_only_themselves(tmp_path, reference_answers):
    """Do a hung cell, a hung function and a crashing function lose only their own items?"""
    answers = dict(reference_answers)
    answers["make_regression_data"] = "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    while True:\n        pass\n"
    answers["autograd_gradients"] = "def autograd_gradients(X, Y, W, b):\n    import os\n    os._exit(0)\n"
    notebook = submission(tmp_path / "beto.ipynb", answers, extra=[("setup", "while True:\n    pass\n")])
    result = grade(notebook, tmp_path / "beto.json", "--check-timeout", "4", "--cell-timeout", "4")
    by_name = {t["name"]: t for t in result["tests"]}
    assert result["status"] == "graded"
    assert by_name["test_make_regression_data"]["status"] == "timeout"
    assert "se agotó el tiempo (4 s) en make_regression_data" in by_name["test_make_regression_data"]["output"]
    assert by_name["test_autograd_gradients"]["status"] == "crashed"
    assert "autograd_gradients" in by_name["test_autograd_gradients"]["output"]
    assert result["score"] == 10 - 1 - 1


@pytest.mark.parametrize("content, status, message", [
    ("{not json", "invalid_submission", "no es un notebook válido"),
    ('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "invalid_submission", "ninguna celda de pruebas"),
])
def test_unusable_submissions_get_a_status_and_a_message(tmp_path, content, status, message):
    """Do a broken and an emptied notebook each get their status, score 0 and a message? (A missing one is
    refused before grading: tests/test_grade_inputs.py; an empty submission folder: test_batch H8.)"""
    notebook = tmp_path / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(content)
    result = grade(notebook, tmp_path / "out.json")
    assert result["status"] == status and result["score"] == 0
    assert message in result["output"]


def test_several_notebooks_write_one_file_per_student(tmp_path, reference_answers):
    """Given submitted/<student>/<assignment>/<assignment>.ipynb, is each result named after its student?"""
    for student in ("ana", "beto"):
        submission(tmp_path / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", reference_answers)
    notebooks = sorted((tmp_path / "submitted").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
    process = run(sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT,
                  "--results", str(tmp_path / "results"), *map(str, notebooks), cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "results").glob("*.json")) == ["ana.json", "beto.json"]
    assert "ana" in process.stdout and "10/10" in process.stdout


def test_one_command_grades_several_assignments(tmp_path):
    """With --assignment given twice, does one command grade both into <results>/<assignment>/, the
    reference with full marks, and refuse a single results file?"""
    names = ("01_regresion_lineal", "03_ecuaciones")
    for name in names:
        source = REPO / "demo" / "submitted" / "ana" / name / f"{name}.ipynb"
        (tmp_path / "submitted" / "ana" / name).mkdir(parents=True)
        (tmp_path / "submitted" / "ana" / name / source.name).write_bytes(source.read_bytes())
    options = [f"--assignment={name}" for name in names]
    process = run(sys.executable, "-m", "autograder", "grade", *options, "--results", str(tmp_path / "results"),
                  str(tmp_path / "submitted"), cwd=tmp_path)
    for name in names:
        result = json.loads((tmp_path / "results" / name / "ana.json").read_text())
        assert result["score"] == result["max_score"] > 0, result
        assert f"{name}: 1 graded, 0 invalid" in process.stderr
    refused = run(sys.executable, "-m", "autograder", "grade", *options, "--results", str(tmp_path / "one.json"),
                  str(tmp_path / "submitted"), cwd=tmp_path, check=False)
    assert refused.returncode == 2 and "--results is a folder" in refused.stderr


def test_merged_shards_get_autograded_notebooks_with_their_outputs(course, reference_answers):
    """Graded without a gradebook (a shard), then recorded with one (grade-merge): nothing is graded again,
    and each student gets the autograded notebook the formgrader opens, with what their cells printed in the
    sandbox and the hung cell said; a second merge keeps it."""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    folder = course / "submitted" / "ana" / ASSIGNMENT
    submission(folder / f"{ASSIGNMENT}.ipynb", reference_answers,
               extra=[("sol_linear_forward", "print('forma:', tuple(linear_forward(torch.ones(2, 3), torch.ones(3, 1), "
                                             "torch.zeros(1)).shape))\n6 * 7"),
                      ("sol_mse_loss", "import time\nwhile True:\n    time.sleep(1)")])
    command = [sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT, "--results", "results",
               "--quiet", "--cell-timeout", "5", "submitted"]
    shard = run(*command, cwd=course)
    assert not (course / "autograded").exists()
    merged = run(*command, "--gradebook", "gradebook.db", cwd=course)
    assert "(0 graded now, 1 unchanged)" in merged.stdout + merged.stderr, merged.stdout + merged.stderr
    path = course / "autograded" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" and c.outputs]
    texts = [json.dumps(c.outputs, ensure_ascii=False) for c in cells]
    assert any("forma: (2, 1)" in t and '"text/plain": "42"' in t for t in texts), texts
    assert any("TimeoutError" in t and "no terminó en 5 s" in t for t in texts), texts
    before = path.read_bytes()
    run(*command, "--gradebook", "gradebook.db", cwd=course)
    assert path.read_bytes() == before and json.loads((course / "results" / "ana.json").read_text())["score"] == 10
    assert shard.returncode == 0
