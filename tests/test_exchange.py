"""nbgrader's exchange, round trip: the instructor releases, a student fetches and submits, the instructor
collects, grades (stock ``nbgrader autograde``, or the package's command alone) and releases feedback, and the
student fetches it."""
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ASSIGNMENT, ENV, REPO

pytestmark = pytest.mark.slow
STUDENT = "carla"  # a demo student with some items wrong


@pytest.fixture
def exchange_course(tmp_path):
    """(course root, student working folder, environment): a copy of the course, an empty exchange
    and a student home of their own, outside the course."""
    course, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "home"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader wants the exchange writable by everyone
    (home / "trabajo").mkdir(parents=True)
    # Every command names the exchange; HOME keeps the student off this machine's Jupyter config.
    env = {**ENV, "HOME": str(home)}
    env.pop("NBGRADER_EXECUTION", None)
    return course, home / "trabajo", env, f"--Exchange.root={exchange}"


def nbgrader(*args, cwd, env):
    """Run an nbgrader command; fails with its output when it exits non-zero."""
    done = subprocess.run(["nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}\n{done.stdout}\n{done.stderr}"
    return done


GRADERS = {
    "stock": ["nbgrader", "autograde", ASSIGNMENT],
    "package": [sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT, "--results", "results",
                "--gradebook", "gradebook.db", "--quiet", "submitted"],
}


@pytest.mark.parametrize("grader", GRADERS)
def test_exchange_round_trip(exchange_course, grader):
    """release → fetch → submit → collect → grade → generate/release feedback → fetch_feedback: does the
    student end with an HTML page holding their score, their cells' outputs and no hidden test, when either
    stock autograde or the package's command alone grades?"""
    course, work, env, root = exchange_course
    student = ["--course=pia", f"--student={STUDENT}", root]

    nbgrader("generate_assignment", ASSIGNMENT, cwd=course, env=env)
    nbgrader("release_assignment", ASSIGNMENT, root, cwd=course, env=env)

    nbgrader("fetch_assignment", ASSIGNMENT, *student, cwd=work, env=env)
    fetched = work / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fetched.exists()
    answers = nbformat.read(REPO / "demo" / "submitted" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    answers.cells.append(nbformat.v4.new_code_cell('print("mi cuenta:", 6 * 7)'))  # her work, and a cell of her own
    nbformat.write(answers, fetched)
    nbgrader("submit", ASSIGNMENT, *student, cwd=work, env=env)

    nbgrader("collect", ASSIGNMENT, root, cwd=course, env=env)
    assert (course / "submitted" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    graded = subprocess.run(GRADERS[grader], cwd=course, env=env, capture_output=True, text=True)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course, env=env)
    nbgrader("release_feedback", ASSIGNMENT, root, cwd=course, env=env)

    nbgrader("fetch_feedback", ASSIGNMENT, *student, cwd=work, env=env)
    pages = list((work / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    assert len(pages) == 1, pages
    page = pages[0].read_text()

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT)
        score, max_score = submission.score, submission.max_score
        written = gradebook.find_grade("respuesta_tasa_aprendizaje", ASSIGNMENT, ASSIGNMENT, STUDENT)
        assert written.auto_score is None and written.needs_manual_grade  # waits for the formgrader
    assert 0 < score < max_score  # carla's known mistakes; her written answer is not graded yet
    assert f"Score: {score} / {max_score}" in page
    assert "mi cuenta: 42" in page  # what her own cell printed, run in the sandbox by the package
    for hidden in ("BEGIN HIDDEN TESTS", "autograder.kernel", "check("):
        assert hidden not in page, f"the feedback shows hidden-test source: {hidden!r}"
