"""Feedback for students: one Spanish HTML page per submission, and hidden tests kept out of nbgrader's.

``write_pages`` turns the grade command's results files (``DIR/<student>.json``)
into ``OUT/<student>/<assignment>.html``, the layout of nbgrader's
``feedback/<student>/<assignment>/`` folders, one level shorter because a
page is one file.  A page shows only its own results file and, with a
gradebook, that student's rows: per item the points and the checks'
message, the total (manual scores and late penalty included) and a "qué
revisar" list.  Messages may quote a student's exception: control
characters are dropped, the length is capped, and jinja2 escapes them.

``HideHiddenTests`` is for ``nbgrader generate_feedback`` (set in
``nbgrader_config.py``): it removes the hidden-test regions from test cells
and shortens their errors to the message, since a traceback quotes the
source around the failing line.
"""
import re
from pathlib import Path

from jinja2 import Environment, PackageLoader
from nbgrader import utils as nbutils
from nbgrader.preprocessors import ClearHiddenTests

from autograder import results
from autograder.checks import judging
from autograder.course import exports
from autograder.course.exports import PENDING

# Characters of one message on the page: a check's message (judging.MAX_MESSAGE) plus
# what comes on top of it, the grader's prefix (restored test cell, failed visible
# test) and the teacher's note or comment.
MAX_MESSAGE = 2 * judging.MAX_MESSAGE
CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # ANSI escapes, control characters
NOTICES = {
    "invalid_submission": "La entrega no se pudo calificar",
    "missing_submission": "No se encontró la entrega",
    "error": "La calificación no terminó",
}


def clean(text):
    """``text`` without control characters or ANSI escapes, at most MAX_MESSAGE characters."""
    text = CONTROL.sub("", str(text or "")).strip()
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def _state(score, max_score):
    return "correcto" if score >= max_score else "fallido" if score <= 0 else "parcial"


def page_items(result, grades=None):
    """The page's rows: dicts with name, score, max_score, message, state, written.

    ``result`` is a results dict; ``grades`` the student's SubmissionGrades
    (``autograder.course.exports``) or None.  A manual score in the gradebook
    replaces the check's; written-answer cells come from the gradebook only.
    """
    cells = {cell.name: cell for cell in grades.cells} if grades else {}
    items = []
    for test in result["tests"]:
        cell, score, message = cells.get(test["name"]), float(test["score"]), clean(test.get("output"))
        if cell is not None and cell.manual:
            score, message = cell.score, clean(f"{message}\nPuntuación revisada por el profesor.")
        if cell is not None and cell.comment:
            message = clean(f"{message}\nComentario del profesor: {cell.comment}")
        items.append({"name": test["name"].removeprefix("test_"), "score": score, "max_score": test["max_score"],
                      "message": message, "state": _state(score, test["max_score"]), "written": False})
    for cell in sorted((c for c in cells.values() if c.written), key=lambda c: c.name):
        message = PENDING if cell.pending else "corregida"
        if cell.comment:
            message = f"{message}\nComentario del profesor: {cell.comment}"
        items.append({"name": cell.name, "score": cell.score, "max_score": cell.max_score, "message": clean(message),
                      "state": "pendiente" if cell.pending else _state(cell.score, cell.max_score), "written": True})
    return items


ENVIRONMENT = Environment(loader=PackageLoader("autograder.course", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)
ENVIRONMENT.filters["puntos"] = lambda value: f"{float(value):g}".replace(".", ",")


def render(student, result, grades=None):
    """The HTML page of ``student``'s ``result`` (a results dict), with its ``grades`` if any."""
    items = page_items(result, grades)
    review = [i for i in items if i["state"] == "fallido"] + [i for i in items if i["state"] == "parcial"]
    notice = clean(": ".join(filter(None, [NOTICES.get(result["status"]), result.get("output")])))
    if grades is not None:
        total, max_score, late_penalty = grades.total, grades.max_score, grades.late_penalty
    else:
        total, max_score, late_penalty = result["score"], result["max_score"], 0.0
    return ENVIRONMENT.get_template("feedback.html.j2").render(
        student=student, assignment=result["assignment"], notice=notice, items=items, review=review,
        total=total, max_score=max_score, late_penalty=late_penalty,
        pending=[i for i in items if i["state"] == "pendiente"])


def write_pages(results_dir, out, assignment, gradebook=None):
    """Write ``out/<student>/<assignment>.html`` for every ``results_dir/<student>.json`` of ``assignment``.

    Returns (written paths, problems): a problem is a results file that is
    unreadable or of another assignment, reported and skipped.
    """
    files = sorted(Path(results_dir).glob("*.json"))
    if not files:
        raise exports.ExportError(f"no results files (<student>.json) in {results_dir}")
    grades = {}
    if gradebook:
        with exports.reading(gradebook) as db:
            grades = {g.student: g for g in exports.submission_grades(db, assignment)}
    written, problems = [], []
    for path in files:
        result = results.read(path)
        if result is None or result.get("assignment") != assignment:
            problems.append(f"{path}: " + ("not a results file" if result is None else
                                           f"results of {result.get('assignment')}, not {assignment}"))
            continue
        page = Path(out) / path.stem / f"{assignment}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(render(path.stem, result, grades.get(path.stem)), encoding="utf-8")
        written.append(page)
    return written, problems


class HideHiddenTests(ClearHiddenTests):
    """nbgrader preprocessor: test cells without their hidden-test regions, their errors reduced to
    ``ename: evalue``; other cells (the student's) untouched."""

    def preprocess_cell(self, cell, resources, index):
        if not (nbutils.is_grade(cell) and not nbutils.is_solution(cell) and cell.cell_type == "code"):
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, index)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
