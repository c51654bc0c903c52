"""One queue of submissions for a multi-assignment grade, and as many warm workers as the submissions pay for
(``batch.grade``, ``pool.warm``): the assignments' tails overlap, and a small batch starts one worker."""
import shutil
import threading
import time

import pytest

from autograder.course import batch
from autograder.engine import pool
from autograder.engine.limits import Limits
from conftest import REPO

DEMO = REPO / "demo" / "submitted"
NAMES = ("01_regresion_lineal", "05_perceptron")


@pytest.fixture
def course(tmp_path):
    """submitted/ with ana's and beto's notebooks of both assignments."""
    for student in ("ana", "beto"):
        for name in NAMES:
            shutil.copytree(DEMO / student / name, tmp_path / "submitted" / student / name)
    return tmp_path


@pytest.fixture
def spans(monkeypatch):
    """(assignment, student, start, end) of every submission graded, in the order they end."""
    seen, lock, grade = [], threading.Lock(), batch.grade_submission

    def timed(submission, assignment, *rest):
        start = time.monotonic()
        result = grade(submission, assignment, *rest)
        with lock:
            seen.append((assignment, submission.student, start, time.monotonic()))
        return result
    monkeypatch.setattr(batch, "grade_submission", timed)
    return seen


def grade(course, jobs=2):
    batches = [batch.plan(name, [course / "submitted"], course / "results" / name) for name in NAMES]
    return batch.grade(batches, limits=Limits(), jobs=jobs, progress=False)


def test_the_next_assignment_starts_before_the_last_one_ends(course, spans, fresh_workers):
    """Is 05 begun while 01's last submission is still being graded (before: only once 01 was done), and does
    every batch end with its own summary and results?"""
    outcome = grade(course)
    assert [summary.statuses["graded"] for summary, _ in outcome] == [2, 2]
    assert [sorted(final) for _, final in outcome] == [["ana", "beto"], ["ana", "beto"]]
    first_05 = min(start for name, _, start, _ in spans if name == NAMES[1])
    last_01 = max(end for name, _, _, end in spans if name == NAMES[0])
    assert first_05 < last_01, spans


def test_a_small_batch_starts_one_worker_shared_by_the_threads(course, spans, fresh_workers):
    """Four submissions with two threads: one zygote (a second would cost more to start than it saves)."""
    grade(course)
    assert len(spans) == 4
    assert len(pool._all) == 1


def test_a_large_batch_starts_a_worker_per_thread(course, spans, fresh_workers, monkeypatch):
    """As many zygotes as threads once the submissions pay for them (here: one submission per worker)."""
    monkeypatch.setattr(batch, "PER_WORKER", 1)
    grade(course)
    assert len(spans) == 4
    assert len(pool._all) == 2
