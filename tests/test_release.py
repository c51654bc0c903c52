"""release/ is generated from source/ by nbgrader and must never drift."""
import json

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
