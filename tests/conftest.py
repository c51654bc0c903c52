"""Shared fixtures: a throwaway nbgrader course, and submissions built from release/."""
import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import assignments

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_regresion_lineal"
ASSIGNMENTS = assignments.known()
# nbgrader runs `alembic` from PATH: the interpreter's bin goes first.
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(*args, cwd, check=True):
    """Run a command with the venv on PATH; returns the CompletedProcess (text)."""
    return subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, check=check)


@pytest.fixture
def course(tmp_path):
    """A temporary course root: nbgrader_config.py and a copy of source/."""
    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO / "source", tmp_path / "source")
    return tmp_path


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
