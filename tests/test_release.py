"""release/ is generated from source/ by nbgrader and must never drift."""
import json

import nbformat
import pytest

from conftest import ASSIGNMENTS, REPO, run


def normalised(path):
    """Cells and metadata of a notebook, without the cell ids nbgrader regenerates."""
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        cell.pop("id", None)
    return notebook


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_regenerates_without_drift(course, assignment):
    """Does `nbgrader generate_assignment` on source/ reproduce the committed release/?"""
    run("nbgrader", "generate_assignment", assignment, "--force", cwd=course)
    generated = course / "release" / assignment
    committed = REPO / "release" / assignment
    assert sorted(p.name for p in generated.iterdir()) == sorted(p.name for p in committed.iterdir())
    for path in generated.glob("*.ipynb"):
        assert normalised(path) == normalised(committed / path.name), f"release/{assignment}/{path.name} is stale: run `make release`"


def test_release_has_no_solutions_or_hidden_tests():
    """Does release/ contain no solution code and no hidden-test region?"""
    for path in (REPO / "release").rglob("*.ipynb"):
        text = path.read_text()
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "autograder.kernel"):
            assert marker not in text, f"{path} contains {marker!r}"
        assert "# TU CÓDIGO AQUÍ" in text


def test_source_notebooks_are_stored_clean():
    """Are the master notebooks committed with outputs and execution counts cleared?"""
    for path in list((REPO / "source").rglob("*.ipynb")) + list((REPO / "release").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path} has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_validates_and_release_fails_every_test(assignment):
    """Does `nbgrader validate` pass the master notebook, and `--invert` confirm no test passes on the stub?"""
    source = REPO / "source" / assignment / f"{assignment}.ipynb"
    release = REPO / "release" / assignment / f"{assignment}.ipynb"
    passed = run("nbgrader", "validate", str(source), cwd=REPO, check=False)
    assert "Success! Your notebook passes all the tests." in passed.stdout, passed.stdout + passed.stderr
    inverted = run("nbgrader", "validate", "--invert", str(release), cwd=REPO, check=False)
    assert "Success! The notebook does not pass any tests." in inverted.stdout, inverted.stdout + inverted.stderr


LEARNING_ONLY = "# Solo para aprender"


def errors_by_cell(path):
    """Run a notebook top to bottom in a real kernel, as a student would (no NBGRADER_EXECUTION):
    [(cell, ename, evalue)] of every cell that raised."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    return [(cell, output.ename, output.evalue) for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


def misplaced_errors(errors):
    """The errors a release notebook must not raise: anything in a stub cell itself (defining the stub
    must work); anything but the stubs' NotImplementedError elsewhere, except, in a learning-only cell
    after an earlier one failed, the NameError/KeyError of what that cell could not build."""
    wrong, learning_failed = [], False
    for cell, ename, evalue in errors:
        nbgrader = cell.metadata.get("nbgrader", {})
        learning = cell.source.startswith(LEARNING_ONLY)
        cascade = learning and learning_failed and ename in ("NameError", "KeyError")
        if nbgrader.get("solution") or not (ename == "NotImplementedError" or cascade):
            wrong.append((nbgrader.get("grade_id"), ename, evalue))
        learning_failed |= learning
    return wrong


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_top_to_bottom_raising_only_in_the_stubs(assignment, monkeypatch):
    """Does the release notebook run in a Jupyter kernel with only the stubs raising NotImplementedError?"""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    errors = errors_by_cell(REPO / "release" / assignment / f"{assignment}.ipynb")
    assert errors, "the stubs raised nothing"
    assert misplaced_errors(errors) == []
