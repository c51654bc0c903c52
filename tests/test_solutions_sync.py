"""solutions/ and the master notebooks' solution regions are one source of truth."""
import ast
import importlib
import inspect

import nbformat
import pytest

from autograder import assignments
from conftest import ASSIGNMENTS, REPO


def functions(tree):
    return {node.name: ast.dump(node) for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_cells_match_solutions_module(assignment):
    """Is every function and class of the notebook's solution cells identical (AST) to solutions/?"""
    master = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    in_notebook = {}
    for cell in master.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            in_notebook.update(functions(ast.parse(cell.source)))
    module = importlib.import_module(f"solutions.{assignments.module_name(assignment)}")
    in_module = functions(ast.parse(inspect.getsource(module)))
    assert in_notebook.keys() == in_module.keys()
    for name in in_module:
        assert in_notebook[name] == in_module[name], f"{name} differs between the notebook and solutions/"
