"""Shared fixtures: a throwaway nbgrader course, and submissions built from release/.

Also how tests run in parallel under pytest-xdist (``make test`` runs ``-n 2 --dist loadfile``):
one worker runs all of a module, so a module-scoped fixture (a class graded once) is made once; a
test marked ``serial`` runs alone, no other worker's test running meanwhile.  (Not ``--dist
loadgroup``: with pytest 9, xdist 3.8's ``xdist_group`` marks never reach its scheduler, and a
module's tests would be spread over the workers, its class graded by each.)
"""
import fcntl
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder import assignments

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_regresion_lineal"
ASSIGNMENTS = assignments.known()
# nbgrader runs `alembic` from PATH: the interpreter's bin goes first.
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


# -- parallel workers (pytest-xdist) -------------------------------------------------------------

LOCKS = "pia_test_locks"  # the folder of the run's locks, handed from the controller to its workers


class Turnstile:
    """A lock between the workers of one xdist run: every test holds it shared, a ``serial`` test alone.

    A writer-preferring readers-writer lock on two ``flock``ed files: a test waiting to run alone
    holds the gate, so no new test starts on another worker until it has run.
    """

    def __init__(self, folder):
        self.gate = open(Path(folder) / "gate", "a")
        self.tests = open(Path(folder) / "tests", "a")

    def acquire(self, alone):
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.tests, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(self.gate, fcntl.LOCK_UN)

    def release(self):
        fcntl.flock(self.tests, fcntl.LOCK_UN)


TURNSTILE = pytest.StashKey[Turnstile]()


def pytest_configure(config):
    """The controller of an xdist run makes the folder of its workers' locks."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        config.pia_locks = tempfile.mkdtemp(prefix="pia-test-locks-")


def pytest_unconfigure(config):
    if getattr(config, "pia_locks", None):
        shutil.rmtree(config.pia_locks, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist: each worker is told where the run's locks are."""
    if getattr(node.config, "pia_locks", None):
        node.workerinput[LOCKS] = node.config.pia_locks


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """On an xdist worker, hold the run's turnstile over the test's setup, call and teardown (module
    fixtures set up or torn down with it included): shared, or alone for a test marked ``serial``."""
    folder = getattr(item.config, "workerinput", {}).get(LOCKS)
    if folder is None:
        return (yield)
    if TURNSTILE not in item.config.stash:
        item.config.stash[TURNSTILE] = Turnstile(folder)
    turnstile = item.config.stash[TURNSTILE]
    turnstile.acquire(alone=item.get_closest_marker("serial") is not None)
    try:
        return (yield)
    finally:
        turnstile.release()


def run(*args, cwd, check=True):
    """Run a command with the venv on PATH; returns the CompletedProcess (text)."""
    return subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=check)


@pytest.fixture
def course(tmp_path):
    """A temporary course root: nbgrader_config.py and a copy of source/."""
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO / "source", tmp_path / "source")
    return tmp_path


@pytest.fixture
def fresh_workers():
    """No warm worker started before the test is used by it, none it starts is reused by another test, and the
    sandbox verdict is not cached across it."""
    from autograder.engine import pool, sandbox

    pool.stop_idle()
    sandbox.unavailable.cache_clear()
    yield
    pool.stop_idle()
    sandbox.unavailable.cache_clear()


def solution_source(module, name):
    return inspect.getsource(getattr(module, name))


def submission(path, answers, extra=(), assignment=ASSIGNMENT):
    """Write ``assignment``'s release notebook with ``answers`` {function: source} in its answer cells.

    ``extra`` is a list of (grade_id, source): a student-added code cell
    inserted right after the cell with that grade_id.
    """
    notebook = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("sol_") and grade_id[4:] in answers:
            cell.source = answers[grade_id[4:]]
        cells.append(cell)
        cells.extend(nbformat.v4.new_code_cell(source) for after, source in extra if after == grade_id)
    notebook.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def reference_answers():
    from solutions import regresion_lineal

    names = [n for n, f in inspect.getmembers(regresion_lineal, inspect.isfunction)]
    return {name: solution_source(regresion_lineal, name) for name in names}
