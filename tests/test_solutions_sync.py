"""solutions/ and the master notebooks' solution regions are one source of truth."""
import ast
import inspect

import nbformat
import pytest

from conftest import REPO
from solutions import regresion_lineal

MODULES = {"01_regresion_lineal": regresion_lineal}


def functions(tree):
    return {node.name: ast.dump(node) for node in tree.body if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("assignment", sorted(MODULES))
def test_solution_cells_match_solutions_module(assignment):
    """Is every function of the notebook's solution cells identical (AST) to solutions/?"""
    master = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    in_notebook = {}
    for cell in master.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            in_notebook.update(functions(ast.parse(cell.source)))
    in_module = functions(ast.parse(inspect.getsource(MODULES[assignment])))
    assert in_notebook.keys() == in_module.keys()
    for name in in_module:
        assert in_notebook[name] == in_module[name], f"{name} differs between the notebook and solutions/"
