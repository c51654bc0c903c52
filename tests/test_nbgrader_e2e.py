"""Stock nbgrader and the package's command give the same item scores."""
import csv
import json
import shutil
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ASSIGNMENT, ASSIGNMENTS, REPO, run

pytestmark = pytest.mark.slow


def _cells(path):
    """(cell type, source, nbgrader metadata) of every cell of the notebook at ``path``: outputs aside."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in nbformat.read(path, as_version=4).cells]


def _printed(path):
    """(stdout text, names of the errors raised) of every code cell that is not a test cell, at ``path``."""
    shown = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            stdout = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
            shown.append((stdout, [o.ename for o in cell.outputs if o.output_type == "error"]))
    return shown


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_autograde_and_grading_command_agree(course, tmp_path, assignment):
    """generate → submitted/<student> → stock autograde, and the package's command with --gradebook in a copy of
    the course: the same item scores, the same autograded notebooks cell for cell (type, source, nbgrader
    metadata with checksums; what the other code cells print and raise), and the reference's grade cells
    silent on stderr?"""
    run("nbgrader", "generate_assignment", assignment, "--force", cwd=course)
    for notebook in (REPO / "demo" / "submitted").glob(f"*/{assignment}/*.ipynb"):
        shutil.copytree(notebook.parent, course / "submitted" / notebook.parent.parent.name / assignment)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    assert len(students) >= 5
    package = tmp_path / "package-course"
    shutil.copytree(course, package)
    autograde = run("nbgrader", "autograde", assignment, "--force", cwd=course)
    assert "has changed" not in autograde.stdout + autograde.stderr  # honest students are not reported
    run(sys.executable, "-m", "autograder", "grade", "--assignment", assignment, "--quiet", "--results", "results",
        "--gradebook", "gradebook.db", "submitted", cwd=package)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            results = json.loads((package / "results" / f"{student}.json").read_text())
            assert results["replaced"] == [], student  # honest code: the worker's watch saw nothing replaced
            for test in results["tests"]:
                grade = gradebook.find_grade(test["name"], assignment, assignment, student)
                assert grade.score == test["score"], (student, test["name"], test["output"])
    for student in students:
        name = f"autograded/{student}/{assignment}/{assignment}.ipynb"
        assert _cells(package / name) == _cells(course / name), student
        assert _printed(package / name) == _printed(course / name), student

    # The reference (demo student ana) passes every grade cell without a byte on stderr, under stock autograde.
    for cell in nbformat.read(course / f"autograded/ana/{assignment}/{assignment}.ipynb", as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.outputs:
                assert output.output_type != "error", cell.metadata.nbgrader.grade_id
                assert output.get("name") != "stderr", (cell.metadata.nbgrader.grade_id, output.text)

    run("nbgrader", "export", "--to", "grades.csv", cwd=course)
    with open(course / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(students)
    reference = json.loads((package / "results" / "ana.json").read_text())
    assert float(rows["ana"]["score"]) == reference["score"] == reference["max_score"] > 0


def test_an_edited_test_cell_is_still_reported_and_restored(course):
    """With the package's OverwriteCells, is a test cell the student edited still reported and restored?"""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    folder = course / "submitted" / "ana" / ASSIGNMENT
    shutil.copytree(REPO / "demo" / "submitted" / "ana" / ASSIGNMENT, folder)
    path = folder / f"{ASSIGNMENT}.ipynb"
    submitted = nbformat.read(path, as_version=4)
    cell = next(c for c in submitted.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_forward")
    cell.source = "pass  # pruebas borradas"
    nbformat.write(submitted, path)
    autograde = run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=course)
    assert "Attribute 'checksum' for cell test_linear_forward has changed!" in autograde.stdout + autograde.stderr
    autograded = nbformat.read(course / "autograded" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    restored = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_forward")
    assert "### BEGIN HIDDEN TESTS" in restored.source


def written_answers(master):
    """grade_id → points of the master notebook's written answers (grade cells that are solution cells)."""
    return {cell.metadata.nbgrader.grade_id: cell.metadata.nbgrader.points for cell in master.cells
            if cell.metadata.get("nbgrader", {}).get("grade") and cell.metadata.nbgrader.get("solution")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_has_a_written_answer(assignment):
    """Does every master notebook ask a Markdown question graded by hand, right after the question?"""
    master = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    answers = written_answers(master)
    assert answers and all(grade_id.startswith("respuesta_") for grade_id in answers)
    for i, cell in enumerate(master.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") in answers:
            assert cell.cell_type == "markdown" and not cell.metadata.nbgrader.locked
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            assert master.cells[i - 1].cell_type == "markdown" and "Pregunta" in master.cells[i - 1].source


def test_hand_grades_survive_regrading_and_reach_the_export(course):
    """Recorder: is a written answer left for the formgrader (no auto score, flagged), and does a regrade
    keep the scores a human entered, so that `nbgrader export` adds manual and automatic points?"""
    from autograder import results
    from autograder.course import gradebook as recorder
    from autograder.engine.notebook import items, read_master

    master_path = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    master = read_master(master_path)
    (written, points), = written_answers(master).items()
    graded = items(master)
    tests = [{"name": item.grade_id, "score": item.points, "max_score": item.points, "status": "passed",
              "output": ""} for item in graded]
    result = results.submission_results(ASSIGNMENT, graded, "graded", "", "subprocess", tests)
    db = course / "gradebook.db"
    with recorder.Recorder(recorder.database_url(db), ASSIGNMENT, master_path, recorder.course_config(course)) as rec:
        rec.record("ana", result)
        with Gradebook(f"sqlite:///{db}") as gradebook:
            grade = gradebook.find_grade(written, ASSIGNMENT, ASSIGNMENT, "ana")
            assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (None, None, True)
            assert gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ana").needs_manual_grade
            # What the formgrader does when the instructor scores the answer and overrides one test cell.
            grade.manual_score, grade.needs_manual_grade = points, False
            overridden = gradebook.find_grade(graded[0].grade_id, ASSIGNMENT, ASSIGNMENT, "ana")
            overridden.manual_score = 0.0
            gradebook.db.commit()
        rec.record("ana", result)  # a regrade
    with Gradebook(f"sqlite:///{db}") as gradebook:
        grade = gradebook.find_grade(written, ASSIGNMENT, ASSIGNMENT, "ana")
        assert (grade.auto_score, grade.manual_score, grade.needs_manual_grade) == (None, points, False)
        overridden = gradebook.find_grade(graded[0].grade_id, ASSIGNMENT, ASSIGNMENT, "ana")
        assert (overridden.manual_score, overridden.needs_manual_grade) == (0.0, True)  # stock: flagged for review
    tuples = {t[3]: t[4:] for t in recorder.grade_tuples(db)}
    assert written not in tuples and tuples[graded[0].grade_id] == (0.0, graded[0].points)

    run("nbgrader", "export", "--to", "grades.csv", cwd=course)
    with open(course / "grades.csv") as handle:
        row, = csv.DictReader(handle)
    total = sum(item.points for item in graded)
    assert float(row["score"]) == total - graded[0].points + points
    assert float(row["max_score"]) == total + points

