"""Stock nbgrader and the package's command give the same item scores."""
import csv
import json
import shutil
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ASSIGNMENTS, REPO, run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_autograde_and_grading_command_agree(course, assignment):
    """generate → submitted/<student> → autograde: same item scores as `python -m autograder grade`?"""
    run("nbgrader", "generate_assignment", assignment, "--force", cwd=course)
    for notebook in (REPO / "demo" / "submitted").glob(f"*/{assignment}/*.ipynb"):
        shutil.copytree(notebook.parent, course / "submitted" / notebook.parent.parent.name / assignment)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    assert len(students) >= 5
    run("nbgrader", "autograde", assignment, "--force", cwd=course)

    notebooks = [course / "submitted" / s / assignment / f"{assignment}.ipynb" for s in students]
    run(sys.executable, "-m", "autograder", "grade", "--assignment", assignment, "--quiet",
        "--results", str(course / "results"), *map(str, notebooks), cwd=course)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            package = json.loads((course / "results" / f"{student}.json").read_text())
            for test in package["tests"]:
                grade = gradebook.find_grade(test["name"], assignment, assignment, student)
                assert grade.score == test["score"], (student, test["name"], test["output"])

    run("nbgrader", "export", "--to", "grades.csv", cwd=course)
    with open(course / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(students)
    reference = json.loads((course / "results" / "ana.json").read_text())
    assert float(rows["ana"]["score"]) == reference["score"] == reference["max_score"] > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_grade_cells_write_nothing_to_stderr(course, assignment):
    """Under nbgrader autograde, do the reference's (demo student ana) grade cells pass without a byte on stderr?"""
    run("nbgrader", "generate_assignment", assignment, "--force", cwd=course)
    shutil.copytree(REPO / "demo" / "submitted" / "ana" / assignment, course / "submitted" / "ana" / assignment)
    run("nbgrader", "autograde", assignment, "--force", cwd=course)
    autograded = nbformat.read(course / "autograded" / "ana" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in autograded.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.outputs:
                assert output.output_type != "error", cell.metadata.nbgrader.grade_id
                assert output.get("name") != "stderr", (cell.metadata.nbgrader.grade_id, output.text)
