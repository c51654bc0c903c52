"""The sandbox never fails silently: its worker imports the package it was launched from, a worker that
cannot start stops the command before anything is written, and grading without bubblewrap is said aloud."""
import shutil
import subprocess
import sys

import pytest

from autograder.__main__ import main
from autograder.course import batch
from autograder.engine import sandbox
from autograder.engine.limits import Limits
from conftest import ASSIGNMENT, REPO

DEMO = REPO / "demo" / "submitted"


@pytest.fixture
def course(tmp_path):
    """A course root whose submitted/ holds ana's 01_regresion_lineal only."""
    shutil.copytree(DEMO / "ana" / ASSIGNMENT, tmp_path / "submitted" / "ana" / ASSIGNMENT)
    return tmp_path


def files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def test_the_worker_imports_the_package_it_was_launched_from(tmp_path):
    """Does a copy of the package start workers that import the copy, not the installed package?"""
    copy = tmp_path / "otra-copia"
    shutil.copytree(REPO / "autograder", copy / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    launcher = (f"import sys; sys.path.insert(0, {str(copy)!r}); import subprocess; "
                f"from autograder.engine import sandbox; "
                f"print(subprocess.run(sandbox.python_argv('import autograder; print(autograder.__file__)'), "
                f"capture_output=True, text=True).stdout)")
    done = subprocess.run([sys.executable, "-I", "-c", launcher], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(copy / "autograder" / "__init__.py")


def test_a_worker_that_cannot_start_stops_the_command_before_anything_is_written(course, fresh_workers):
    """Is a worker that dies on start-up (here: too little memory to import torch) a usage error naming the
    cause and PIA_SANDBOX=off, with no results and no gradebook written?"""
    before = files(course)
    with pytest.raises(batch.UsageError) as refused:
        batch.run(ASSIGNMENT, [course / "submitted"], course / "results", gradebook=course / "gradebook.db",
                  limits=Limits(memory_bytes=48 * 2**20), progress=False)
    message = str(refused.value)
    assert "the sandboxed worker does not start (" in message and "PIA_SANDBOX=off" in message
    assert "exit status" in message or "Error" in message, message  # the worker's own last word
    assert files(course) == before


def test_sandbox_required_refuses_to_grade_without_bubblewrap(course, capsys, monkeypatch, fresh_workers):
    """Does --sandbox required refuse, exit 2 and one sentence naming the cause, when bubblewrap is off?"""
    monkeypatch.setenv("PIA_SANDBOX", "off")
    before = files(course)
    assert main(["grade", "--assignment", ASSIGNMENT, "--results", str(course / "results"), "--quiet",
                 "--sandbox", "required", str(course / "submitted")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    assert "PIA_SANDBOX=off is set" in error and "--sandbox required" in error
    assert files(course) == before


def test_grading_without_bubblewrap_is_said(course, capsys, monkeypatch, fresh_workers):
    """Does grading without bubblewrap print a visible warning before grading?"""
    monkeypatch.setenv("PIA_SANDBOX", "off")
    (course / "submitted" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{no es json")
    assert main(["grade", "--assignment", ASSIGNMENT, "--results", str(course / "results"), "--quiet",
                 str(course / "submitted")]) == 0
    error = capsys.readouterr().err
    assert "warning: student code runs WITHOUT the sandbox (PIA_SANDBOX=off is set)" in error
