"""The autograded notebook, as stock ``nbgrader autograde`` writes it, from the package's grades.

nbgrader's formgrader lists a submission, and opens it for hand grading, only
when ``autograded/<student>/<A>/<A>.ipynb`` exists (``nbgrader.apps.api``).
``write`` builds that notebook from the submitted one with the course's own
sanitizing preprocessors (``c.Autograde.sanitize_preprocessors`` in
``nbgrader_config.py``: outputs cleared, locked and test cells restored from
the gradebook with their metadata and checksums, as stock autograde does),
then gives every other code cell what it showed in the sandboxed run (the
results' ``cells``: stdout, stderr, its value or its error, each capped, text
only) and each test cell one output, the check's Spanish message, and writes
it atomically beside copies of the submission's supporting files and its
``timestamp.txt``.  Student code is never run here.

A submission nbgrader cannot take (not JSON, cells without a type, renamed or
duplicated nbgrader ids...) still gets an autograded notebook, so the
formgrader lists it with its score: the released stub (the master as
nbgrader releases it) with each answer cell the student kept, matched by
``grade_id``, put in its place.

The autograded folder is made by the trusted side under the course root; a
link met in it, or in the submitted folder, is never followed.
"""
import os
import stat
import tempfile
from pathlib import Path

import nbformat
from nbgrader import utils as nbutils
from nbgrader.converters.autograde import Autograde
from nbgrader.coursedir import CourseDirectory
from traitlets.utils.importstring import import_item

from autograder.checks.judging import MAX_MESSAGE
from autograder.course.gradebook import student_version
from autograder.engine.notebook import InvalidSubmission, nbgrader_meta, read_master, read_submission


def sanitized(submitted, assignment, db_url, config):
    """``submitted`` (an nbformat notebook) through the course's autograde sanitizers, as stock autograde runs them."""
    names = Autograde(config=config).sanitize_preprocessors  # the course's setting, else nbgrader's default
    resources = {"nbgrader": {"notebook": assignment, "assignment": assignment, "db_url": db_url}}
    notebook = submitted
    for name in names:
        step = import_item(name) if isinstance(name, str) else name
        notebook, resources = step(config=config).preprocess(notebook, resources)
    return notebook


CELL = "pia_cell"  # cell metadata naming a code cell's index in the submitted notebook while it is sanitized


def tagged(notebook):
    """``notebook`` with each code cell marked by its index (any mark the student wrote dropped first), so
    its outputs find it after the sanitizers have restored and removed cells."""
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop(CELL, None)
        if cell.cell_type == "code":
            cell.metadata[CELL] = index
    return notebook


def outputs(shown):
    """nbformat outputs of what one code cell showed (``stdout``, ``stderr``, ``value``, ``error`` texts)."""
    made = [nbformat.v4.new_output("stream", name=name, text=shown[name])
            for name in ("stdout", "stderr") if isinstance(shown.get(name), str)]
    if isinstance(shown.get("error"), str):
        ename, _, evalue = shown["error"].partition(": ")
        made.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[shown["error"]]))
    elif isinstance(shown.get("value"), str):
        made.append(nbformat.v4.new_output("execute_result", data={"text/plain": shown["value"]}))
    return made


def with_outputs(notebook, result):
    """``notebook`` (tagged, then sanitized) with each code cell given what it showed in the sandbox, marks removed."""
    shown = {cell["cell"]: cell for cell in result.get("cells", []) if isinstance(cell, dict)}
    for cell in notebook.cells:
        index = cell.metadata.pop(CELL, None)
        if cell.cell_type == "code" and index in shown:
            cell.outputs = outputs(shown[index])
    return notebook


def with_messages(notebook, result):
    """``notebook`` with each test cell's output set to its result's Spanish message (capped), if any."""
    messages = {test["name"]: test.get("output") or "" for test in result["tests"]}
    for cell in notebook.cells:
        if cell.cell_type != "code" or not nbutils.is_grade(cell):
            continue
        message = messages.get(cell.metadata.nbgrader.get("grade_id"), "")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=message[:MAX_MESSAGE] + "\n")] \
            if message else []
    return notebook


def build(submitted, assignment, result, db_url, config):
    """The autograded notebook of ``submitted`` graded as ``result`` (a results dict)."""
    return with_messages(with_outputs(sanitized(tagged(submitted), assignment, db_url, config), result), result)


def stub_with_answers(master_path, submission_path, config):
    """The released stub of ``master_path`` with the answer cells of the submission, matched by grade_id."""
    stub = student_version(read_master(master_path), config)
    try:
        cells = read_submission(submission_path).cells
    except InvalidSubmission:
        cells = []
    answers = {}
    for cell in cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and isinstance(cell.get("source"), str):
            answers.setdefault((grade_id, cell.get("cell_type")), cell["source"])
    for cell in stub.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = answers.get((meta["grade_id"], cell.cell_type), cell.source)
    return stub


def course_root(submission, config):
    """Where ``autograded/`` goes: beside ``submitted/`` when the submission is in nbgrader's layout
    (``submitted/<student>/<assignment>/``), else nbgrader's course root (``CourseDirectory.root``)."""
    submitted = submission.folder.parent.parent
    return submitted.parent if submitted.name == "submitted" else Path(CourseDirectory(config=config).root)


def parts(config, student, assignment):
    """The folders from the course root to a submission's autograded notebook: ``autograded/<student>/<assignment>``."""
    return CourseDirectory(config=config).autograded_directory, student, assignment


def folder(root, config, student, assignment):
    """``autograded/<student>/<assignment>`` under the course ``root``, created without following links."""
    path = Path(root)
    for part in parts(config, student, assignment):
        path = path / part
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise OSError(f"{path} is not a folder (a link?); not writing the autograded notebook")
    return path


def written(submission, assignment, config):
    """Does ``submission`` have its autograded notebook already (a regular file, not a link)?"""
    path = Path(course_root(submission, config), *parts(config, submission.student, assignment), f"{assignment}.ipynb")
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _write_bytes(data, target):
    """Write ``data`` to ``target`` whole or not at all (a file beside it, renamed into place)."""
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _regular_files(source):
    """The submitted folder's regular files (links and folders skipped), read without following links."""
    for entry in os.scandir(source):
        if entry.is_file(follow_symlinks=False):
            descriptor = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(descriptor, "rb") as handle:
                yield entry.name, handle.read()


def write(submission, result, assignment, master_path, db_url, config):
    """Write ``submission``'s autograded notebook, its supporting files and timestamp.txt; returns its path."""
    if submission.notebook is None:  # nothing to show: the gradebook's row says what happened
        return None
    target = folder(course_root(submission, config), config, submission.student, assignment)
    name = f"{assignment}.ipynb"
    in_layout = submission.notebook.parent.name == assignment  # a loose notebook's neighbours are not its files
    for filename, data in _regular_files(submission.notebook.parent) if in_layout else ():
        if filename != name:
            _write_bytes(data, target / filename)
    notebook_path = target / name
    try:
        notebook = build(nbformat.read(submission.notebook, as_version=4), assignment, result, db_url, config)
    except (OSError, MemoryError):
        raise
    except Exception:  # nbformat's and nbgrader's many kinds of "this notebook is broken"
        notebook = build(stub_with_answers(master_path, submission.notebook, config), assignment,
                         {**result, "cells": []}, db_url, config)  # its cells are not the ones graded
    _write_bytes(nbformat.writes(notebook).encode("utf-8"), notebook_path)
    return notebook_path
