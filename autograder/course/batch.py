"""Grading a class: many submissions, in parallel, into results files and the gradebook.

Inputs are notebooks or folders in nbgrader's layout
``submitted/<student>/<assignment>/<assignment>.ipynb``: a course's
``submitted/`` folder (or the course root holding it), one student's folder,
or one submission folder.  The student id is the folder's name; a loose
notebook's is its parent folder's name (its grandparent's when the parent is
named after the assignment).

Nothing is lost.  Student code runs in sandboxes started from a thread pool
(``runner.score_notebook``); the main thread is the only writer.  A submission is
done once its gradebook transaction has committed and then its results file,
which names the notebook's sha256, its timestamp and the grader that graded
it, has been written atomically, last.  A rerun grades again exactly the
submissions whose results file is missing, unreadable, an ``error``, or made
from another notebook, timestamp or grader; the others are not graded again
but recorded again from their results file (cheap and idempotent), so the
gradebook always ends equal to the results files.
"""
import gc
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy.exc import OperationalError

from autograder import assignments, results
from autograder.checks.seeds import item_seed
from autograder.engine import notebook, runner, sandbox

PACKAGE = Path(__file__).resolve().parent.parent  # autograder/
MIN_FREE_BYTES = 16 * 2**20  # refuse to start a batch with less free space (docs/attacks.md K7)
LISTED = 5  # file names quoted in a message
# Submissions per sandboxed worker: starting one costs about 3 s of a core, which a second worker wins back
# only after about 16 submissions (bench/grade_class.py, docs/performance.md); up to then its threads share one.
PER_WORKER = 16
# nbgrader's course folders: they hold <assignment>/ folders as a student's folder does, but name no student
COURSE_FOLDERS = {"source", "release", "submitted", "autograded", "feedback", "outbound", "inbound"}


class UsageError(Exception):
    """The command cannot start (bad inputs, no space); nothing was graded."""


@dataclass(eq=False)
class Submission:
    """One student's submission of the assignment, as found on disk."""
    student: str
    folder: Path
    notebook: Path | None = None       # the file to grade
    problem: tuple | None = None       # (status, Spanish message) decided without grading
    note: str | None = None            # said in the results' output
    files: tuple = ()                  # the files whose contents decide the outcome
    timestamp: datetime | None = None  # from timestamp.txt, as nbgrader reads it
    info: dict | None = None           # its fingerprint, once computed


@dataclass
class Summary:
    """How a batch ended: the final status of every submission."""
    statuses: Counter
    graded_now: int
    unchanged: int
    stopped: str | None = None

    def line(self):
        s = self.statuses
        text = (f"{s['graded']} graded, {s['invalid_submission']} invalid, {s['error']} errors, "
                f"{s['missing_submission']} missing ({self.graded_now} graded now, {self.unchanged} unchanged)")
        return f"{text}; stopped: {self.stopped}" if self.stopped else text

    @property
    def exit_code(self):
        """0 all recorded; 1 some grader errors (rerun retries them); 2 the batch stopped."""
        return 2 if self.stopped else 1 if self.statuses["error"] else 0


# -- finding the submissions ---------------------------------------------------------------------

def student_id(path, assignment, student=None, recorded=False):
    """``submitted/<student>/<assignment>/<notebook>.ipynb`` → student; else ``student``.

    Outside that layout no folder names the student: without ``student`` the notebook's
    name stands in, unless the grade is ``recorded`` in a gradebook (then UsageError).
    """
    path = Path(path).resolve()
    if student is not None:
        return student
    if path.parent.name == assignment and path.parent.parent.name not in COURSE_FOLDERS:
        return path.parent.parent.name
    if recorded:
        raise UsageError(f"{path} is not in nbgrader's layout submitted/<student>/{assignment}/: "
                         f"name its student with --student")
    return path.stem


def discover(inputs, assignment, source=assignments.SOURCE, *, allow_empty=False, student=None, recorded=False):
    """The submissions named by ``inputs`` (notebooks or folders), sorted by student.

    Refuses (UsageError) a path that does not exist, ``student`` with anything but one notebook,
    a loose notebook ``recorded`` without ``student`` (see ``student_id``) and, unless
    ``allow_empty``, inputs in which no student has a folder for ``assignment``.
    """
    inputs = [Path(p) for p in inputs]
    for path in inputs:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    if student is not None and (len(inputs) > 1 or inputs[0].is_dir()):
        raise UsageError("--student names the student of a single notebook, not of folders")
    for path in inputs:
        folder = path.resolve().parent if path.resolve().name == assignment else path.resolve()
        if path.is_dir() and folder.name in COURSE_FOLDERS and (folder / assignment).is_dir():
            raise UsageError(f"{path} is nbgrader's {folder.name}/ folder, not a student's: "
                             f"give the submitted/ folder, the course root or student folders")
    found = []
    for path in inputs:
        if not path.is_dir():
            student_of = student_id(path, assignment, student, recorded)
            if path.is_symlink():  # never graded as its target
                found.append(Submission(student_of, path.parent, problem=_linked([path])))
            else:
                found.append(Submission(student_of, path.parent, path, files=(path,)))
        elif path.resolve().name == assignment:
            found.append(resolve(path.resolve().parent.name, path, assignment, source))
        elif (path / assignment).is_dir():
            found.append(resolve(path.resolve().name, path / assignment, assignment, source))
        else:
            if (path / "submitted").is_dir():  # the course root
                path = path / "submitted"
            found += [resolve(folder.name, folder / assignment, assignment, source)
                      for folder in sorted(path.iterdir()) if folder.is_dir() and not folder.name.startswith(".")]
    by_student = {}
    for submission in found:
        if submission.student in by_student:
            raise UsageError(f"two submissions for student {submission.student!r}: "
                             f"{by_student[submission.student].folder} and {submission.folder}")
        by_student[submission.student] = submission
    if not allow_empty and all(not s.folder.is_dir() for s in found):
        raise UsageError(_nothing_submitted(found, assignment, inputs))
    for submission in found:
        _read_timestamp(submission)
    return sorted(found, key=lambda s: s.student)


def _nothing_submitted(found, assignment, inputs):
    """The sentence for inputs in which no student folder holds ``assignment``: what they hold instead."""
    where = ", ".join(map(str, inputs))
    if not found:
        return f"no student folders found in {where}"
    held = Counter(p.name for s in found if s.folder.parent.is_dir()
                   for p in s.folder.parent.iterdir() if p.is_dir() and not p.name.startswith("."))
    instead = (", ".join(f"{name} ({count})" for name, count in held.most_common(LISTED)) if held
               else "no assignment folders at all (is this a submitted/ folder?)")
    return (f"none of the {len(found)} student folders in {where} holds {assignment}; they hold {instead}. "
            f"Check --assignment and the path, or pass --allow-empty to record every student as missing")


def describe(assignment, submissions):
    """The lines ``grade --dry-run`` prints: per student, the notebook to grade or why none is graded."""
    lines = [f"{assignment}: {len(submissions)} students"]
    for s in submissions:
        what = f"{s.problem[0]}: {s.problem[1]}" if s.problem else str(s.notebook)
        lines.append(f"  {s.student}\t{what}")
    return "\n".join(lines)


def resolve(student, folder, assignment, source=assignments.SOURCE):
    """What ``folder`` (``submitted/<student>/<assignment>``) holds: a notebook to grade, or why not."""
    expected = f"{assignment}.ipynb"
    if not folder.is_dir():
        return Submission(student, folder, problem=("missing_submission", f"no se entregó {expected}"))
    if links := _links(folder):  # a link to a classmate's notebook or folder is never graded as one's own
        return Submission(student, folder, problem=_linked(links))
    if (folder / expected).exists():
        return Submission(student, folder, folder / expected, files=(folder / expected,))
    master_folder = Path(source) / assignment
    supporting = {p.name for p in master_folder.iterdir()} if master_folder.is_dir() else set()
    files = sorted(p for p in folder.iterdir()
                   if not p.name.startswith(".") and not p.is_dir() and p.name not in supporting | {"timestamp.txt"})
    notebooks = [p for p in files if p.name.lower().endswith(".ipynb")]
    if len(notebooks) == 1:  # a renamed notebook: "01_regresion_lineal (1).ipynb" (docs/attacks.md H7)
        note = f"se calificó «{notebooks[0].name}»: el notebook debe llamarse {expected}"
        return Submission(student, folder, notebooks[0], note=note, files=(notebooks[0],))
    if notebooks:
        message = (f"hay {len(notebooks)} notebooks ({_names(notebooks)}) y ninguno se llama {expected}: "
                   f"entrega solo {expected}")
        return Submission(student, folder, problem=("invalid_submission", message), files=tuple(notebooks))
    if files:
        message = f"no se encontró {expected} (se entregó: {_names(files)})"
        return Submission(student, folder, problem=("invalid_submission", message), files=tuple(files))
    return Submission(student, folder, problem=("missing_submission", f"no se entregó {expected}"))


def _links(folder):
    """The symbolic links among ``folder``, its parent (the student's folder) and everything below it."""
    links = [p for p in (folder.parent, folder) if p.is_symlink()]
    for top, dirs, files in os.walk(folder):  # os.walk follows no link
        links += [Path(top) / name for name in dirs + files if (Path(top) / name).is_symlink()]
    return links


def _linked(links):
    """The (status, Spanish message) of a submission holding symbolic links."""
    return ("invalid_submission", f"la entrega contiene enlaces simbólicos ({_names(links)}): "
                                  f"entrega copias de los archivos, no enlaces")


def _names(paths):
    names = [f"«{p.name}»" for p in paths[:LISTED]]
    return ", ".join(names + ["…"] * (len(paths) > LISTED))


def _read_timestamp(submission):
    """``timestamp.txt`` beside the notebook, read by nbgrader's own ``CourseDirectory``."""
    if not (submission.files and (submission.folder / "timestamp.txt").exists()):
        return
    from nbgrader.coursedir import CourseDirectory

    try:
        submission.timestamp = CourseDirectory().get_existing_timestamp(str(submission.folder))
    except Exception:  # nbgrader 0.9.6 fails with AttributeError on an unparsable timestamp
        message = f"timestamp.txt no válido en {submission.folder}: corrígelo y vuelve a calificar"
        submission.problem = ("error", message)


# -- what makes a results file current ----------------------------------------------------------

def _sha256(path):
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(submission):
    """What was graded: the notebook's name and sha256, and the submission's timestamp."""
    if len(submission.files) == 1:
        digest = _sha256(submission.files[0])
    elif submission.files:
        digest = hashlib.sha256("".join(f"{p.name}\0{_sha256(p)}\n" for p in submission.files).encode()).hexdigest()
    else:
        digest = None
    return {"file": submission.notebook.name if submission.notebook else None, "sha256": digest,
            "timestamp": submission.timestamp.isoformat() if submission.timestamp else None}


@cache
def grader_identity(assignment, source=assignments.SOURCE):
    """The grader that graded (docs/attacks.md K11): versions, and one hash of the code, the master
    and the hidden-input seeds, so a changed grader or AUTOGRADER_SECRET regrades."""
    module = assignments.module_name(assignment)
    shared = [path for layer in ("", "checks", "engine", "course") for path in sorted((PACKAGE / layer).glob("*.py"))]
    paths = [*shared, PACKAGE / "probes" / f"{module}.py", PACKAGE / "judges" / f"{module}.py",
             assignments.REPO / "solutions" / f"{module}.py",
             *sorted(p for p in (Path(source) / assignment).iterdir() if p.is_file())]
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            digest.update(f"{path.name}\0{_sha256(path)}\n".encode())
    master = notebook.read_master(assignments.master_notebook(assignment, source))
    digest.update(",".join(str(item_seed(assignment, item.grade_id)) for item in notebook.items(master)).encode())
    version = importlib.metadata.version
    return {"package": version("pia-autograder"), "python": platform.python_version(), "torch": version("torch"),
            "numpy": version("numpy"), "sha256": digest.hexdigest()}


def _current(previous, submission, assignment, identity):
    """Is ``previous`` (a results dict or None) a finished grading of this very submission?"""
    return (previous is not None and previous.get("assignment") == assignment and previous["status"] != "error"
            and previous.get("submission") == submission.info and previous.get("grader") == identity)


# -- grading --------------------------------------------------------------------------------------

def grade_submission(submission, assignment, source, limits, items, identity):
    """The results dict of one submission; never raises (a failure is an ``error`` record)."""
    try:
        if submission.problem:
            result = results.submission_results(assignment, items, *submission.problem, sandbox.isolation())
        else:
            result = runner.score_notebook(assignment, submission.notebook, source, limits)
        if submission.note:
            result["output"] = f"{submission.note}; {result['output']}" if result.get("output") else submission.note
    except Exception as exc:  # the grader's own failure: recorded, retried on the next run
        diagnosis = f"the grader raised {type(exc).__name__}: {exc}"
        result = results.grader_error(assignment, items, diagnosis[:runner.MAX_OUTPUT], sandbox.isolation())
    return {**result, "submission": submission.info, "grader": identity}


def _check_free_space(paths):
    for path in paths:
        folder = next(p for p in [path, *path.parents] if p.exists())
        free = shutil.disk_usage(folder).free
        if free < MIN_FREE_BYTES:
            raise UsageError(f"only {free / 2**20:.1f} MB free on the disk of {folder}: free some space and rerun")


def _progress(enabled, batches):
    """One progress display for the whole run: a bar per assignment, in the order they are listed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[invalid]} invalid · {task.fields[errors]} errors"),
                        TimeRemainingColumn(), console=Console(stderr=True), disable=not enabled)
    tasks = {each: progress.add_task(each.assignment, total=len(each.todo), invalid=0, errors=0) for each in batches}
    return progress, tasks


@dataclass(eq=False)
class Batch:
    """One assignment's submissions in a grading run, where their results go, and which are already current."""
    assignment: str
    source: Path
    submissions: list
    target: dict             # Submission -> its results file
    previous: dict           # Submission -> its current results dict, or None: to be graded
    items: list
    identity: dict
    timings: Path | None     # the folder receiving the timings sidecar; None for a single notebook
    recorder: object = None  # the gradebook writer, once ``grade`` has opened it

    @property
    def todo(self):
        return [s for s in self.submissions if self.previous[s] is None]


def plan(assignment, inputs, results_path, *, source=assignments.SOURCE, gradebook=None, force=False,
         allow_empty=False, student=None):
    """The ``Batch`` of ``inputs`` (notebooks or folders) for ``assignment``: reads, never writes.

    ``results_path`` is a folder receiving ``<student>.json``, or a ``.json``
    file when a single notebook is graded.  Raises UsageError as ``discover``.
    """
    submissions = discover(inputs, assignment, source, allow_empty=allow_empty, student=student,
                           recorded=bool(gradebook))
    results_path = Path(results_path)
    single = (len(submissions) == 1 and not any(Path(p).is_dir() for p in inputs)
              and results_path.suffix == ".json" and not results_path.is_dir())
    target = {s: results_path if single else results_path / f"{s.student}.json" for s in submissions}
    _check_free_space([results_path] + ([Path(gradebook)] if gradebook and "://" not in str(gradebook) else []))
    items = notebook.items(notebook.read_master(assignments.master_notebook(assignment, source)))
    identity = grader_identity(assignment, source)
    previous = {}
    for submission in submissions:
        submission.info = fingerprint(submission)
        result = None if force else results.read(target[submission])
        previous[submission] = result if _current(result, submission, assignment, identity) else None
    return Batch(assignment, Path(source), submissions, target, previous, items, identity,
                 None if single else results_path)


def grade(batches, *, limits=runner.Limits(), gradebook=None, duedate=None, jobs=1, progress=True, config=None):
    """Grade the ``batches`` from one queue of submissions, ``jobs`` at a time, so that the assignments' tails
    overlap; record them in the results files and, if given, the gradebook.

    Returns [(Summary, {student: results dict})], in the order of ``batches``.
    A disk or database failure stops every batch (docs/attacks.md K7).
    """
    bar, tasks = _progress(progress, batches)
    if progress:
        for each in batches:
            bar.console.print(f"{each.assignment}: {len(each.todo)} to grade, "
                              f"{len(each.submissions) - len(each.todo)} unchanged", highlight=False)
    todo = sum(len(each.todo) for each in batches)
    if todo:
        runner.start(limits, min(jobs, 1 + todo // PER_WORKER))
        for each in batches:
            if each.todo:
                runner.warm_judges(each.assignment)
        if gradebook:  # nbgrader, loaded while the worker starts; nothing is written before it has started
            from autograder.course import autograded  # noqa: F401
        try:
            runner.prepare(limits)
        except runner.WorkerUnavailable as exc:
            raise UsageError(exc) from None
        gc.freeze()  # torch, nbgrader and the judges, imported now, are never walked by this process's collections
    pool = ThreadPoolExecutor(max_workers=jobs)
    futures, final, counts = {}, {each: {} for each in batches}, {each: Counter() for each in batches}
    stopped = None
    try:
        for each in batches:
            each.recorder = _recorder(gradebook, each.assignment, each.source, config, duedate)
        futures = {pool.submit(_timed, grade_submission, s, each.assignment, each.source, limits, each.items,
                               each.identity): (each, s) for each in batches for s in each.todo}
        with bar:
            for each in batches:  # recorded again: the gradebook may be new, the due date moved
                for submission in each.submissions:
                    if each.previous[submission] is not None:
                        final[each][submission.student] = _commit_again(each, submission)
            for future in as_completed(futures):
                each, submission = futures[future]
                result, seconds = future.result()
                done = final[each][submission.student] = _commit(submission, result, each.recorder,
                                                                 each.target[submission], each.items)
                if each.timings:
                    _log_timing(each.timings, submission.student, seconds, done["status"])
                counts[each][done["status"]] += 1
                if "diagnosis" in done:  # the instructor's log: the grader's own failure
                    bar.console.print(f"{each.assignment}/{submission.student}: grading error: {done['diagnosis']}",
                                      markup=False, highlight=False)
                bar.update(tasks[each], advance=1, invalid=counts[each]["invalid_submission"],
                           errors=counts[each]["error"])
    except (OSError, OperationalError) as exc:  # disk full, gradebook locked too long… (docs/attacks.md K7)
        left = sum(len(each.submissions) - len(final[each]) for each in batches)
        stopped = f"{type(exc).__name__}: {exc}; the {left} submissions left are graded by the next run"
    finally:
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)
        for each in batches:
            if each.recorder:
                each.recorder.close()
    outcome = []
    for each in batches:
        graded_now = sum(counts[each].values())
        statuses = Counter(r["status"] for r in final[each].values())
        outcome.append((Summary(statuses, graded_now, len(final[each]) - graded_now, stopped), final[each]))
    return outcome


def run(assignment, inputs, results_path, *, source=assignments.SOURCE, limits=runner.Limits(), gradebook=None,
        duedate=None, jobs=1, force=False, progress=True, config=None, allow_empty=False, student=None):
    """Grade ``inputs`` (notebooks or folders) of one assignment: ``grade([plan(…)])``.

    Returns (Summary, {student: results dict}).
    """
    each = plan(assignment, inputs, results_path, source=source, gradebook=gradebook, force=force,
                allow_empty=allow_empty, student=student)
    return grade([each], limits=limits, gradebook=gradebook, duedate=duedate, jobs=jobs, progress=progress,
                 config=config)[0]


def _commit_again(each, submission):
    """A current result recorded again (e.g. shards' results merged: their autograded notebooks are written)."""
    previous = each.previous[submission]
    if not each.recorder:
        return previous
    return _commit(submission, previous, each.recorder, each.target[submission], each.items, again=True)


def _timed(function, *args):
    """(function(*args), its wall time in seconds)."""
    start = time.monotonic()
    return function(*args), time.monotonic() - start


def _log_timing(folder, student, seconds, status):
    """Append one line to the folder's timings sidecar (results files hold no durations)."""
    line = json.dumps({"student": student, "seconds": round(seconds, 3), "status": status}, ensure_ascii=False)
    with open(folder / results.TIMINGS, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _recorder(gradebook, assignment, source, config, duedate):
    """The gradebook writer, or None without ``gradebook``."""
    if not gradebook:
        return None
    from autograder.course.gradebook import database_url, GradebookError, Recorder

    try:
        return Recorder(database_url(gradebook), assignment, assignments.master_notebook(assignment, source),
                        config=config, duedate=duedate)
    except (GradebookError, OperationalError, ValueError) as exc:  # ValueError: a due date nbgrader cannot parse
        raise UsageError(f"gradebook {gradebook}: {exc}") from None


def _commit(submission, result, recorder, path, items, again=False):
    """Gradebook first, in one transaction, then the autograded notebook (kept when ``again``, a current result
    recorded again, finds one); the results file last, as the completion marker.

    A failure of the disk or the database stops the batch (the caller's
    business); any other failure to record makes this submission an error.
    """
    try:
        if recorder:
            from autograder.course import autograded

            recorder.record(submission.student, result, submission.timestamp)
            if not (again and autograded.written(submission, result["assignment"], recorder.config)):
                autograded.write(submission, result, assignment=result["assignment"],
                                 master_path=recorder.master_path, db_url=recorder.url,
                                 config=recorder.config)  # what the formgrader opens (autograded.py)
    except (OSError, OperationalError):
        raise
    except Exception as exc:
        diagnosis = f"recording the grades in the gradebook failed: {type(exc).__name__}: {exc}"
        error = results.grader_error(result["assignment"], items, diagnosis[:runner.MAX_OUTPUT], result["isolation"])
        result = {**error, "submission": result["submission"], "grader": result["grader"]}
    else:
        if again:
            return result
    results.write(result, path)
    return result
