"""Hand grading in nbgrader's formgrader after the package's grade command, with no stock autograde run.

A real ``jupyter server`` with nbgrader's formgrader on 127.0.0.1, driven by
Playwright on the Debian Chromium (/usr/bin/chromium): the submissions page
lists every demo student with the package's score; on the manual-grading page
of one submission a score and a comment for the written answer are entered and
saved, then read back from the gradebook and found in ``nbgrader export``.
"""
import csv
import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ASSIGNMENT, ENV, REPO, run

# Runs alone under pytest-xdist: on a machine kept busy by another worker, the saving of the page's score was
# not seen within SECONDS.
pytestmark = [pytest.mark.slow, pytest.mark.serial]
CHROMIUM = Path("/usr/bin/chromium")
WRITTEN = "respuesta_tasa_aprendizaje"
STUDENT = "ana"
SECONDS = 60  # the bound on every wait


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition, what):
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {SECONDS} s")


def _answers(url, token):
    def ready():
        try:
            request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False
    return ready


@pytest.fixture
def graded_course(course):
    """A course whose demo class was graded by ``python -m autograder grade --gradebook`` only."""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    for student in (REPO / "demo" / "submitted").iterdir():
        shutil.copytree(student / ASSIGNMENT, course / "submitted" / student.name / ASSIGNMENT)
    run(sys.executable, "-m", "autograder", "grade", "--assignment", ASSIGNMENT, "--results", "results",
        "--gradebook", "gradebook.db", "--quiet", "submitted", cwd=course)
    return course


@pytest.fixture
def server(graded_course):
    """(base URL, token) of a jupyter server with the formgrader, in the graded course; killed afterwards."""
    port, token = _free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={graded_course}"],
        cwd=graded_course, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(_answers(f"{base}/formgrader/api/status", token), "the formgrader answering")
        yield base, token
    finally:
        process.kill()
        process.wait(timeout=SECONDS)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_written_answer_graded_in_the_formgrader_reaches_gradebook_and_export(graded_course, server, tmp_path):
    from nbgrader.api import Gradebook
    from playwright.sync_api import sync_playwright

    base, token = server
    db_url = f"sqlite:///{graded_course / 'gradebook.db'}"
    scores = {path.stem: json.loads(path.read_text())["score"] for path in (graded_course / "results").glob("*.json")}
    with Gradebook(db_url) as gradebook:
        notebook_id = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT).id
        points = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, STUDENT).max_score
        total = gradebook.find_notebook(ASSIGNMENT, ASSIGNMENT).max_score
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        # The token on every request: the page's own API calls carry no "?token=" (a login cookie is not set for them).
        page = browser.new_context(extra_http_headers={"Authorization": f"token {token}"}).new_page()
        page.set_default_timeout(SECONDS * 1000)
        try:
            page.goto(f"{base}/formgrader/manage_submissions/{ASSIGNMENT}")
            page.wait_for_selector("td.score:has-text('/')")
            listed = {}
            for row in page.locator("tbody tr").all():
                student = row.locator("td").nth(1).inner_text().strip()
                listed[student] = row.locator("td.score").inner_text().strip()
            assert listed == {s: f"{score:g} / {total:g}" for s, score in scores.items()}, listed

            page.goto(f"{base}/formgrader/submissions/{notebook_id}")
            score = page.locator(f"input#{WRITTEN}")
            score.fill(f"{points:g}")
            score.dispatch_event("change")
            comment = page.locator(f"textarea#{WRITTEN}-comment")
            comment.fill("Bien razonado.")
            comment.dispatch_event("change")

            def saved():
                with Gradebook(db_url) as gradebook:
                    grade = gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, STUDENT)
                    note = gradebook.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, STUDENT)
                    return (grade.manual_score, note.manual_comment) == (points, "Bien razonado.")
            _wait_until(saved, "the formgrader saving the score and the comment")
        except BaseException:
            page.screenshot(path=str(tmp_path / "formgrader-failure.png"))
            raise
        finally:
            browser.close()

    run("nbgrader", "export", cwd=graded_course)
    with open(graded_course / "grades.csv", newline="") as handle:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    assert exported[STUDENT] == scores[STUDENT] + points
    assert all(exported[s] == scores[s] for s in scores if s != STUDENT)
