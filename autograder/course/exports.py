"""Grades out of nbgrader's gradebook: Moodle CSV, Gradescope results.json, GitHub Classroom points.

Every export reads the same totals as ``nbgrader export``: per submission the
sum of its grades (a manual score replaces the autograder's, extra credit
added) less the late penalty, never below 0.  ``nbgrader export`` itself is
untouched; the Moodle format is also an nbgrader export plugin::

    nbgrader export --exporter autograder.course.exports.MoodleExportPlugin --to moodle.csv
"""
import contextlib
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Assignment, Student, SubmittedAssignment
from nbgrader.plugins import ExportPlugin
from sqlalchemy.exc import DatabaseError

from autograder import results
from autograder.course.gradebook import session

LISTED = 5  # student ids quoted in a note

PENDING = "pendiente de corrección manual"
ID_COLUMNS = ("ID number", "Email address")  # Moodle's own export headers, mapped on import


class ExportError(Exception):
    """The export cannot be written; nothing was written."""


@dataclass(frozen=True)
class CellGrade:
    """One grade cell of a submission: a test (autograded) or a written answer (graded by hand)."""
    name: str
    max_score: float
    score: float          # nbgrader's Grade.score: the manual score if any, else the automatic one, else 0
    written: bool         # a manually graded answer cell (nbgrader: grade and solution)
    pending: bool         # a written answer nobody has graded yet
    manual: bool          # a human set the score
    comment: str | None   # the grader's comment on the cell, if any


@dataclass(frozen=True)
class SubmissionGrades:
    """A student's submission of an assignment as the gradebook holds it."""
    student: str
    assignment: str
    cells: tuple
    late_penalty: float

    @property
    def max_score(self):
        return sum(cell.max_score for cell in self.cells)

    @property
    def total(self):
        """What ``nbgrader export`` calls score: grades less the late penalty, at least 0."""
        return max(0.0, sum(cell.score for cell in self.cells) - self.late_penalty)

    @property
    def pending(self):
        return [cell.name for cell in self.cells if cell.pending]


def submission_grades(db, assignment=None, student=None):
    """[SubmissionGrades] in the gradebook session ``db``, optionally of one assignment or student,
    sorted by (assignment, student)."""
    query = db.query(SubmittedAssignment).join(Assignment)
    if assignment is not None:
        query = query.filter(Assignment.name == assignment)
    if student is not None:
        query = query.filter(SubmittedAssignment.student_id == student)
    found = []
    for submission in query:
        cells = []
        for notebook in submission.notebooks:
            written = {cell.name for cell in notebook.notebook.solution_cells}
            comments = {c.cell.name: c.manual_comment for c in notebook.comments if c.manual_comment}
            for grade in notebook.grades:
                name = grade.cell.name
                is_written = name in written
                cells.append(CellGrade(name, grade.max_score, grade.score, is_written,
                                       is_written and grade.manual_score is None and grade.auto_score is None,
                                       grade.manual_score is not None, comments.get(name)))
        found.append(SubmissionGrades(submission.student_id, submission.assignment.name, tuple(cells),
                                      submission.late_submission_penalty or 0.0))
    return sorted(found, key=lambda s: (s.assignment, s.student))


# -- Moodle -------------------------------------------------------------------------------------

def moodle_csv(db, assignments=(), students=()):
    """Moodle's grade import CSV: "ID number" (nbgrader's student id), "Email address", then one column
    per assignment with its total; a student without a submission gets 0, as in ``nbgrader export``.
    ``assignments`` and ``students`` (names) keep only those; empty keeps all.

    On import, map "ID number" to useridnumber (or "Email address" to useremail) and
    each assignment column to its grade item.
    """
    names = [a.name for a in db.query(Assignment).order_by(Assignment.name)]
    unknown = sorted(set(assignments) - set(names))
    if unknown:
        raise ExportError(f"no such assignment in the gradebook: {', '.join(unknown)}")
    names = [name for name in names if not assignments or name in assignments]
    totals = {(s.student, s.assignment): s.total for s in submission_grades(db)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*ID_COLUMNS, *names])
    for student in db.query(Student).order_by(Student.id):
        if students and student.id not in students:
            continue
        writer.writerow([results.inert(student.id), results.inert(student.email or ""),
                         *(_number(totals.get((student.id, n), 0.0)) for n in names)])
    return out.getvalue()


def _number(value):
    return f"{value:g}"


def email_note(db, students=()):
    """How to add e-mail addresses, when some exported students (``students``, default all) have none; else None."""
    everyone = db.query(Student).order_by(Student.id).all()
    exported = [s for s in everyone if not students or s.id in students]
    missing = [s.id for s in exported if not s.email]
    if not missing:
        return None
    who = ("the gradebook holds no e-mail addresses" if not any(s.email for s in everyone) else
           f"{len(missing)} of {len(exported)} students have no e-mail address ({', '.join(missing[:LISTED])}"
           f"{', …' if len(missing) > LISTED else ''})")
    return (f"{who}: Moodle can match them on \"ID number\" (useridnumber) only. To match on e-mail, add the "
            "addresses first: nbgrader db student add ID --email ADDRESS, or nbgrader db student import "
            "students.csv (a CSV with columns id,email), then export again.")


class MoodleExportPlugin(ExportPlugin):
    """``nbgrader export --exporter autograder.course.exports.MoodleExportPlugin --to moodle.csv``."""

    def export(self, gradebook):
        students = [str(s) for s in self.student]
        text = moodle_csv(gradebook.db, [str(a) for a in self.assignment], students)
        Path(self.to or "moodle.csv").write_text(text, encoding="utf-8")
        if note := email_note(gradebook.db, students):
            self.log.warning(note)


# -- Gradescope ---------------------------------------------------------------------------------

def gradescope_result(grades, messages=None):
    """A Gradescope ``results.json`` dict: score (the total), output, one test per grade cell (name,
    score, max_score, output, status; no status while a written answer is pending).

    ``messages``: the package's results dict of this submission, whose tests'
    outputs (the checks' Spanish messages) become the tests' outputs.
    """
    outputs = {t["name"]: t.get("output", "") for t in (messages or {}).get("tests", [])}
    tests = []
    for cell in grades.cells:
        output = PENDING if cell.pending else outputs.get(cell.name, "")
        if cell.comment:
            output = f"{output}\nComentario del profesor: {cell.comment}".strip()
        test = {"name": cell.name, "score": cell.score, "max_score": cell.max_score, "output": output}
        if not cell.pending:
            test["status"] = "passed" if cell.score >= cell.max_score else "failed"
        tests.append(test)
    lines = [(messages or {}).get("output", "")]
    if grades.late_penalty:
        lines.append(f"penalización por entrega tardía: -{_number(grades.late_penalty)} puntos")
    if grades.pending:
        lines.append(f"{PENDING}: {', '.join(grades.pending)}")
    result = {"score": grades.total, "tests": tests}
    if any(lines):
        result["output"] = "\n".join(line for line in lines if line)
    return result


def write_gradescope(db, out, assignment=None, results_dir=None):
    """Write ``out/<assignment>/<student>/results.json`` for every submission; returns the paths.

    ``results_dir``: the grade command's ``--results`` folder (``<student>.json``), for the messages.
    """
    paths = []
    for grades in submission_grades(db, assignment):
        messages = results.read(Path(results_dir) / f"{grades.student}.json") if results_dir else None
        if messages is not None and messages.get("assignment") != grades.assignment:
            messages = None
        path = Path(out) / grades.assignment / grades.student / "results.json"
        results.write(gradescope_result(grades, messages), path)
        paths.append(path)
    return paths


# -- GitHub Classroom ---------------------------------------------------------------------------

def classroom_points(db, student, assignment=None):
    """``Points X/Y``, the line GitHub Classroom's autograding reads, for one student's submission."""
    found = submission_grades(db, assignment, student)
    if not found:
        raise ExportError(f"no submission of {assignment or 'any assignment'} by {student!r} in the gradebook")
    if len(found) > 1:
        raise ExportError(f"{student!r} has submissions of {', '.join(s.assignment for s in found)}: "
                          "choose one with --assignment")
    return f"Points {_number(found[0].total)}/{_number(found[0].max_score)}"


# -- the command --------------------------------------------------------------------------------

@contextlib.contextmanager
def reading(gradebook):
    """A read-only session on an existing gradebook (a path or an SQLAlchemy URL); ExportError if unreadable."""
    if "://" not in str(gradebook) and not Path(gradebook).is_file():
        raise ExportError(f"no gradebook at {gradebook}")
    try:
        with session(gradebook) as db:
            yield db
    except DatabaseError as exc:
        raise ExportError(f"cannot read the gradebook {gradebook}: {exc.orig}") from None


def run(gradebook, to, out=None, assignment=None, student=None, results_dir=None):
    """The ``export`` command: returns the text to print (``classroom``, or ``moodle`` without ``out``)."""
    with reading(gradebook) as db:
        return _export(db, to, out, assignment, student, results_dir)


def _export(db, to, out, assignment, student, results_dir):
    if to == "classroom":
        if not student:
            raise ExportError("--to classroom needs --student")
        return classroom_points(db, student, assignment)
    if to == "moodle":
        text = moodle_csv(db, [assignment] if assignment else [], [student] if student else [])
        if note := email_note(db, [student] if student else []):
            print(f"note: {note}", file=sys.stderr)
        if out is None:
            return text
        Path(out).write_text(text, encoding="utf-8")
        return None
    if out is None:
        raise ExportError("--to gradescope needs --out (a folder)")
    written = write_gradescope(db, out, assignment, results_dir)
    return f"{len(written)} results.json written under {out}"
