"""Results in Gradescope's ``results.json`` schema, and the class table.

A results file holds no timestamps or durations, so grading the same input
twice writes the same bytes.
"""
import json
import os
from pathlib import Path


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


def write(result, path):
    """Write ``result`` atomically: a reader sees the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


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
