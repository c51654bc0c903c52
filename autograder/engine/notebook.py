"""Reading master and submitted notebooks, and the plan the worker executes.

The plan follows the submission's cell order, as nbgrader does, but takes
locked cells and test cells from the master notebook (nbgrader's
OverwriteCells), so a student who edits a test changes nothing.  A test cell
becomes a ``test`` step: its visible part (hidden region removed) then the
probe of its item.  Written answers (Markdown grade cells that are also
solution cells) are graded by hand: they are neither items nor steps.
"""
import ast
import functools
import logging
import os
import re
from dataclasses import dataclass

import nbformat

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


class InvalidSubmission(Exception):
    """The submission cannot be graded; the message is Spanish, for the student."""


@dataclass(frozen=True)
class Item:
    """A graded item: the grade_id of a master test cell and its points."""
    grade_id: str
    points: float


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def read_master(path):
    return nbformat.read(path, as_version=4)


def master_for_grading(path):
    """The master notebook at ``path`` for planning, read and validated once per version of the file (about
    7 ms a submission saved); shared between grading threads, so never to be changed."""
    info = os.stat(path)
    return _master(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=16)
def _master(path, mtime_ns, size):
    return read_master(path)


def items(master):
    """The autograded items of the master notebook (its test cells), in order."""
    return [Item(meta["grade_id"], float(meta.get("points", 0)))
            for meta in map(nbgrader_meta, master.cells)
            if meta.get("grade") and not meta.get("solution") and "grade_id" in meta]


def read_submission(path):
    """The submitted notebook, or ``InvalidSubmission`` saying what is wrong with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidSubmission(f"no se pudo leer el archivo {path.name} ({type(exc).__name__})") from None
    logging.getLogger("nbformat").setLevel(logging.CRITICAL)
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many kinds for a broken file
        raise InvalidSubmission(f"{path.name} no es un notebook válido (JSON incorrecto: {type(exc).__name__})") from None
    if not isinstance(notebook.get("cells"), list) or not all(isinstance(c, dict) for c in notebook.cells):
        raise InvalidSubmission(f"{path.name} no es un notebook válido (no tiene una lista de celdas)")
    return notebook


@functools.lru_cache(maxsize=4096)
def as_python(source):
    """``source`` as the worker's IPython runs it: Python as it is; otherwise IPython's own input transformer
    makes magics and shell lines ``get_ipython()`` calls, line for line."""
    try:
        ast.parse(source)
        return source
    except (SyntaxError, ValueError):
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)


def defined_source(sources, name):
    """The source text of the last top-level ``def name`` in ``sources`` (code cells, in run order), or None:
    read from the notebook by the trusted side, never from the student's process."""
    found = None
    for source in sources:
        text = as_python(source)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                found = ast.get_source_segment(text, node, padded=True)
    return found


def visible_part(source):
    """A test cell without its ``### BEGIN/END HIDDEN TESTS`` region."""
    return HIDDEN.sub("", source)


def plan(master, submission):
    """The worker's steps (``steps``).

    Raises ``InvalidSubmission`` when the submission holds none of the
    master's graded cells (another assignment, or an emptied notebook).
    """
    found = steps(master, submission)
    if not {step["item"] for step in found if step["kind"] == "test"}:
        raise InvalidSubmission("el notebook no contiene ninguna celda de pruebas de esta tarea; "
                                "entrega el notebook de la tarea sin borrar sus celdas")
    return found


def steps(master, submission):
    """``[{"kind": "code"|"test", "source": ..., "item": ..., "cell": ..., "label": ..., "own": ...}]``: ``cell`` is
    the index of the step's cell in ``submission.cells`` and ``label`` names it for instructors (its grade_id, or
    ``added cell N``, N counting every cell from 1); ``own`` is True where the source is the student's (answer
    cells and cells the master does not have), False where it is the master's (locked and test cells)."""
    master_cells = {nbgrader_meta(c).get("grade_id"): c for c in master.cells if nbgrader_meta(c).get("grade_id")}
    graded = {item.grade_id for item in items(master)}
    found, seen = [], set()
    for index, cell in enumerate(submission.cells):
        if cell.get("cell_type") != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        master_cell = master_cells.get(grade_id)
        if grade_id in seen:
            continue  # a duplicated cell (copy-paste in JupyterLab) runs once
        if master_cell is None:
            found.append({"kind": "code", "source": str(cell.get("source", "")), "cell": index,
                          "label": f"added cell {index + 1}", "own": True})
            continue
        seen.add(grade_id)
        if master_cell.cell_type != "code":
            continue  # a written answer turned into a code cell: read by a human, never run
        if grade_id in graded:
            found.append({"kind": "test", "item": grade_id, "source": visible_part(master_cell.source), "cell": index,
                          "label": grade_id, "own": False})
        elif nbgrader_meta(master_cell).get("solution"):
            found.append({"kind": "code", "source": str(cell.get("source", "")), "cell": index, "label": grade_id,
                          "own": True})
        else:
            found.append({"kind": "code", "source": master_cell.source, "cell": index, "label": grade_id,
                          "own": False})
    return found
