"""Stock nbgrader and the package's command give the same item scores."""
import csv
import json
import shutil
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ASSIGNMENT, REPO, run

pytestmark = pytest.mark.slow


def test_nbgrader_autograde_and_grading_command_agree(course):
    """generate → submitted/<student> → autograde → export: same scores as `python -m autograder grade`?"""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    shutil.copytree(REPO / "demo" / "submitted", course / "submitted")
    students = sorted(p.name for p in (course / "submitted").iterdir())
    assert len(students) >= 5
    run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=course)

    notebooks = [course / "submitted" / s / ASSIGNMENT / f"{ASSIGNMENT}.ipynb" for s in students]
    run(sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT, "--quiet",
        "--results", str(course / "results"), *map(str, notebooks), cwd=course)

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            package = json.loads((course / "results" / f"{student}.json").read_text())
            for test in package["tests"]:
                grade = gradebook.find_grade(test["name"], ASSIGNMENT, ASSIGNMENT, student)
                assert grade.score == test["score"], (student, test["name"], test["output"])

    run("nbgrader", "export", "--to", "grades.csv", cwd=course)
    with open(course / "grades.csv") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(students)
    assert float(rows["ana"]["score"]) == 10 and float(rows["ana"]["max_score"]) == 10


def test_reference_grade_cells_write_nothing_to_stderr(course):
    """Under nbgrader autograde, do the reference's grade cells pass without a byte on stderr?"""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    shutil.copytree(REPO / "demo" / "submitted" / "ana", course / "submitted" / "ana")
    run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=course)
    autograded = nbformat.read(course / "autograded" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in autograded.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.outputs:
                assert output.output_type != "error", cell.metadata.nbgrader.grade_id
                assert output.get("name") != "stderr", (cell.metadata.nbgrader.grade_id, output.text)
