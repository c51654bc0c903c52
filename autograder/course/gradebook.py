"""Grades into nbgrader's gradebook: one transaction per submission, one writer.

Stock ``nbgrader autograde`` commits every grade on its own, so a killed run
can leave half a submission.  Here all of a submission's grades, its
timestamp and its late penalty commit together through the SQLAlchemy
session of ``nbgrader.api.Gradebook``; a kill before the commit leaves the
previous record whole (SQLite's rollback journal).  Only the thread that
owns a ``Recorder`` may use it.

What stock autograde does is kept: students and the submission skeleton are
created when missing, a manual score is never overwritten (the grade is
flagged for review instead), written answers (grade cells that are also
solution cells, not in the results) keep the new row's auto_score None and
needs_manual_grade True, so the formgrader lists them, until a human scores
them, and the late penalty comes from nbgrader's own
``AssignLatePenalties`` plugin (``c.LateSubmissionPlugin.penalty_method`` in
``nbgrader_config.py``; none by default).
"""
import contextlib
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nbgrader import utils as nbutils
from nbgrader.converters import GenerateAssignment
from nbgrader.api import (Assignment, Comment, Grade, GradeCell, Gradebook, InvalidEntry, MissingEntry, Notebook,
                          SolutionCell, Student, SubmittedAssignment, SubmittedNotebook)
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, ClearSolutions,
                                    ComputeChecksums, IncludeHeaderFooter, LockCells, SaveCells)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

LOG = logging.getLogger(__name__)
LOG.addHandler(logging.NullHandler())  # nbgrader's plugins log through it; keep them off the progress bar
BUSY_SECONDS = 30  # how long a write waits for another process's lock (docs/attacks.md K6)
# generate_assignment's preprocessors up to SaveCells: what nbgrader would store.
RELEASE_STEPS = (IncludeHeaderFooter, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums)


class GradebookError(Exception):
    """The gradebook cannot take grades; the batch stops with this message."""


def database_url(url_or_path):
    """An SQLAlchemy URL; a plain path names an SQLite file."""
    text_ = str(url_or_path)
    return text_ if "://" in text_ else f"sqlite:///{Path(text_).resolve()}"


def student_version(master, config):
    """``master`` (an nbformat notebook) as ``nbgrader generate_assignment`` releases it with ``config``, without
    its gradebook step (SaveCells); ``master`` is left as it was."""
    import nbformat

    student = nbformat.from_dict(master)
    for step in GenerateAssignment.class_traits()["preprocessors"].default():
        if step is not SaveCells:
            student, _ = step(config=config, log=LOG).preprocess(student, {})
    return student


def course_config(root=None):
    """The course's ``nbgrader_config.py`` (in ``root``, default the current folder), as nbgrader reads it."""
    root = Path(root or os.getcwd())
    if not (root / "nbgrader_config.py").exists():
        return Config()
    return PyFileConfigLoader("nbgrader_config.py", path=[str(root)]).load_config()


def _sqlite_file(url):
    url = make_url(url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _with_busy_timeout(url):
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and "timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"timeout": str(BUSY_SECONDS)})
    return parsed.render_as_string(hide_password=False)


@contextlib.contextmanager
def _alembic_on_path():
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: use this interpreter's."""
    if shutil.which("alembic"):
        yield
        return
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{old}"
    try:
        yield
    finally:
        os.environ["PATH"] = old


def _create_sqlite(path, course_id):
    """Create an SQLite gradebook whole or not at all: built aside, then linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, building = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".creating")
    os.close(descriptor)
    try:
        Gradebook(f"sqlite:///{building}", course_id).close()
        os.link(building, path)
    except FileExistsError:
        pass  # another grader created it meanwhile
    finally:
        os.unlink(building)


@contextlib.contextmanager
def _setting_up(url):
    """Serialise, between processes, creating and setting up one SQLite gradebook (docs/attacks.md K6).

    The lock is on the gradebook's folder: a lock on the file itself would
    be dropped with SQLite's own locks when it is closed.
    """
    path = _sqlite_file(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)


def open_gradebook(url, course_id):
    """nbgrader's Gradebook at ``url``, created if missing, checked for damage."""
    with _alembic_on_path():
        path = _sqlite_file(url)
        if path is not None and not path.exists():
            _create_sqlite(path, course_id)
        gradebook = Gradebook(_with_busy_timeout(url), course_id)
    if path is not None:
        check = gradebook.db.execute(text("PRAGMA integrity_check")).scalar()
        gradebook.db.rollback()
        if check != "ok":
            gradebook.close()
            raise GradebookError(f"the gradebook {path} is damaged ({check}); restore it from a backup")
    return gradebook


class Recorder:
    """Writes submissions of one assignment into the gradebook; use from one thread only."""

    def __init__(self, url, assignment, master_path, config=None, duedate=None):
        self.config = config if config is not None else course_config()
        self.assignment = assignment
        self.master_path = master_path
        self.url = url
        self.penalties = AssignLatePenalties(config=self.config, log=LOG)
        self.penalties.init_plugin()
        with _setting_up(url):
            try:
                self.gradebook = open_gradebook(url, CourseDirectory(config=self.config).course_id)
            except OperationalError as exc:
                raise GradebookError(f"cannot open the gradebook {url}: {exc.orig}") from None
            self.db = self.gradebook.db
            for attempt in range(3):  # a server database has no lock: another grader may be setting up
                try:
                    self._set_up(master_path, duedate)
                    break
                except (InvalidEntry, MissingEntry, IntegrityError, OperationalError):
                    self.db.rollback()
                    if attempt == 2:
                        raise
                    time.sleep(1 + attempt)

    def close(self):
        self.gradebook.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the assignment, its notebook and cells, as generate_assignment records them

    def _set_up(self, master_path, duedate):
        gradebook = self.gradebook
        try:
            assignment = gradebook.find_assignment(self.assignment)
        except MissingEntry:
            assignment = gradebook.add_assignment(self.assignment, duedate=duedate)
        if duedate is not None and assignment.duedate != nbutils.parse_utc(duedate):
            gradebook.update_or_create_assignment(self.assignment, duedate=duedate)
        release, resources = self._release_version(master_path)
        if self._cells_differ(release):
            if self._has_submissions():
                raise GradebookError(
                    f"the gradebook's cells of {self.assignment} differ from {master_path} and it already holds "
                    f"submissions: run `nbgrader generate_assignment {self.assignment}` and decide what to keep")
            SaveCells(config=self.config, log=LOG).preprocess(release, resources)
        self.db.commit()

    def _release_version(self, master_path):
        import nbformat

        release = nbformat.read(master_path, as_version=4)
        resources = {"nbgrader": {"notebook": self.assignment, "assignment": self.assignment,
                                  "db_url": self.gradebook.engine.url.render_as_string(hide_password=False)}}
        for step in RELEASE_STEPS:
            release, resources = step(config=self.config, log=LOG).preprocess(release, resources)
        return release, resources

    def _cells_differ(self, release):
        try:
            notebook = self.gradebook.find_notebook(self.assignment, self.assignment)
        except MissingEntry:
            return True
        named = [c for c in release.cells if "grade_id" in c.metadata.get("nbgrader", {})]
        grade = {c.metadata.nbgrader.grade_id: float(c.metadata.nbgrader.points) for c in named if nbutils.is_grade(c)}
        solution = {c.metadata.nbgrader.grade_id for c in named if nbutils.is_solution(c)}
        source = {c.metadata.nbgrader.grade_id for c in named
                  if nbutils.is_grade(c) or nbutils.is_solution(c) or nbutils.is_locked(c) or nbutils.is_task(c)}
        return (grade != {c.name: c.max_score for c in notebook.grade_cells}
                or solution != {c.name for c in notebook.solution_cells}
                or source != {c.name for c in notebook.source_cells})

    def _has_submissions(self):
        submissions = self.db.query(SubmittedAssignment).join(Assignment).filter(Assignment.name == self.assignment)
        return submissions.count() > 0

    # -- one submission, one transaction

    def record(self, student, result, timestamp=None, attempts=3):
        """Store ``result`` (a results dict) as ``student``'s grades, all or nothing."""
        for attempt in range(attempts):
            try:
                return self._record(student, result, timestamp)
            except OperationalError as exc:
                if "locked" not in str(exc.orig) or attempt == attempts - 1:
                    raise
                time.sleep(1 + attempt)

    def _record(self, student, result, timestamp):
        db = self.db
        try:
            # Looked up in this transaction: another grader may have set the assignment up again.
            assignment = db.query(Assignment).filter_by(name=self.assignment).one()
            master = db.query(Notebook).filter_by(name=self.assignment, assignment_id=assignment.id).one()
            with db.no_autoflush:
                student_row = db.get(Student, student)
                if student_row is None:
                    student_row = Student(id=student)
                    db.add(student_row)
                submission = (db.query(SubmittedAssignment)
                              .filter_by(assignment_id=assignment.id, student_id=student).one_or_none())
                if submission is None:
                    submission = self._new_submission(assignment, student_row)
            db.flush()
            if timestamp is not None:
                submission.timestamp = timestamp
            notebook = next(nb for nb in submission.notebooks if nb.notebook_id == master.id)
            cells = {cell.id: cell.name for cell in master.grade_cells}
            grades = {cells[grade.cell_id]: grade for grade in notebook.grades if grade.cell_id in cells}
            for test in result["tests"]:
                grade = grades[test["name"]]
                # An error is the grader's failure, not a zero: leave the cell for a human.
                grade.auto_score = None if result["status"] == "error" else float(test["score"])
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            db.flush()
            self._late_penalty(student, submission, notebook)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _new_submission(self, assignment, student):
        """The skeleton ``Gradebook.add_submission`` builds, without its commit."""
        submission = SubmittedAssignment(assignment=assignment, student=student)
        for notebook in assignment.notebooks:
            submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
            for cell in notebook.grade_cells:
                Grade(cell_id=cell.id, notebook=submitted)
            for cell in notebook.solution_cells:
                Comment(cell_id=cell.id, notebook=submitted)
            for cell in notebook.task_cells:
                Comment(cell_id=cell.id, notebook=submitted)
                Grade(cell_id=cell.id, notebook=submitted)
        self.db.add(submission)  # cascades to the notebooks, grades and comments
        return submission

    def _late_penalty(self, student, submission, notebook):
        """What nbgrader's AssignLatePenalties does, inside this transaction."""
        notebook.late_submission_penalty = None
        seconds = submission.total_seconds_late
        if seconds > 0:
            self.db.expire(notebook, ["score"])  # recomputed from the grades just flushed
            penalty = self.penalties.plugin_inst.late_submission_penalty(student, notebook.score, seconds)
            if penalty is not None:
                notebook.late_submission_penalty = self.penalties._check_late_penalty(notebook, penalty)


@contextlib.contextmanager
def session(url):
    """A read-only session on the gradebook (``Gradebook()`` would write a course row)."""
    engine = create_engine(_with_busy_timeout(database_url(url)))
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def grade_tuples(url):
    """Sorted (student, assignment, notebook, item, score, max_score) of every autograded grade in the
    gradebook; written answers (grade cells that are also solution cells, graded by hand) are left out."""
    with session(url) as db:
        solution = aliased(SolutionCell)  # both cell kinds share nbgrader's base_cell table
        written = (db.query(solution.id)
                   .filter(solution.notebook_id == GradeCell.notebook_id, solution.name == GradeCell.name)
                   .exists())
        rows = (db.query(Student.id, Assignment.name, Notebook.name, GradeCell.name, Grade.score, GradeCell.max_score)
                .join(SubmittedAssignment, SubmittedAssignment.student_id == Student.id)
                .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
                .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id)
                .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
                .join(GradeCell, GradeCell.id == Grade.cell_id)
                .filter(~written)
                .all())
        return sorted(tuple(row) for row in rows)


def late_penalties(url):
    """{(student, assignment): late_submission_penalty} of every submission."""
    with session(url) as db:
        return {(s.student_id, s.assignment.name): s.late_submission_penalty for s in db.query(SubmittedAssignment)}
