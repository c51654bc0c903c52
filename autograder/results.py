"""Results in Gradescope's ``results.json`` schema, and the class table.

A results file holds no timestamps or durations, so grading the same input
twice writes the same bytes (unless the student's own code prints something
that changes: ``cells`` keeps what each code cell showed, for the autograded
notebook).
"""
import json
import os
import tempfile
from pathlib import Path

from autograder.checks import messages


def submission_results(assignment, items, status, message, isolation, tests=None):
    """The results dict of one submission.

    ``status`` is ``graded``, ``invalid_submission``, ``missing_submission`` or
    ``error``; without ``tests`` every item scores 0 with ``message``.
    """
    if tests is None:
        tests = [{"name": item.grade_id, "score": 0.0, "max_score": item.points,
                  "status": "failed", "output": message} for item in items]
    result = {
        "assignment": assignment,
        "status": status,
        "score": round(sum(test["score"] for test in tests), 6),
        "max_score": sum(item.points for item in items),
        "isolation": isolation,
        "tests": tests,
    }
    if message:
        result["output"] = message
    return result


def grader_error(assignment, items, diagnosis, isolation):
    """The ``error`` record of a submission the grader failed on: the Spanish notice for the student in
    ``output``, the English ``diagnosis`` for the instructor (log and class report only)."""
    return {**submission_results(assignment, items, "error", messages.GRADER_FAILED, isolation),
            "diagnosis": diagnosis}


def inert(text):
    """``text`` as a spreadsheet shows it, never runs it: a leading =, +, -, @, tab or CR is quoted with '
    (student ids are folder names: anyone may pick one that a spreadsheet would take as a formula)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


STATUSES = ("graded", "invalid_submission", "missing_submission", "error")
TIMINGS = ".timings.jsonl"  # beside the results files: {"student", "seconds", "status"} per graded submission


def write(result, path):
    """Write ``result`` atomically and durably: a reader, even after a crash or a
    power cut, sees the old file or the whole new one (docs/attacks.md K4)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o640)  # grades: the owner and the group only
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def read(path):
    """The results dict in ``path``, or None when it is missing, truncated or not ours."""
    try:
        result = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    valid = (isinstance(result, dict) and result.get("status") in STATUSES and isinstance(result.get("tests"), list)
             and all(isinstance(t, dict) and {"name", "score", "max_score"} <= set(t) for t in result["tests"]))
    return result if valid else None


def table(results_by_student):
    """A rich Table: one row per student, one column per item, then the total."""
    from rich.table import Table

    first = next(iter(results_by_student.values()))
    grid = Table(title=f"{first['assignment']}: points per item")
    grid.add_column("student")
    for test in first["tests"]:
        grid.add_column(test["name"].removeprefix("test_"), justify="right")
    grid.add_column("total", justify="right", style="bold")
    grid.add_column("status")
    for student, result in sorted(results_by_student.items()):
        cells = [_cell(test) for test in result["tests"]]
        grid.add_row(student, *cells, f"{result['score']:g}/{result['max_score']:g}", result["status"])
    return grid


def _cell(test):
    colour = "green" if test["score"] == test["max_score"] else "red" if test["score"] == 0 else "yellow"
    text = f"{test['score']:g}/{test['max_score']:g}"
    return f"[{colour}]{text}[/{colour}]" if test["status"] in ("passed", "failed") else f"[red]{test['status']}[/red]"
