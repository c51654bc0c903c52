"""Benchmark: how grading time and memory grow with the class, for the package and stock nbgrader.

For each class size (default 10, 30, 100 and 300 students, cycling through
the demo submissions of every assignment) it grades the whole class with one
package command (`python -m autograder grade --assignment … --jobs J`) and,
up to --stock-up-to students, with stock `nbgrader autograde`, one command per
assignment, in the same run and with the same thread count; it checks that
both give the same item scores. It prints a table, the package's slope
(seconds per submission, least squares over the sizes) and the ratio at 30
students, and draws wall time and peak memory (the largest process) against
class size into --plot.

    python bench/scale.py --sizes 10 30 100 300 --jobs 2 --plot docs/img/scale.png
"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_class import REPO, build_course, differing, grade_package, run  # noqa: E402

sys.path.insert(0, str(REPO))
from autograder import assignments  # noqa: E402


def one_size(students, names, jobs, stock):
    """{students, submissions, package, package_rss[, stock, stock_rss, differing]} for one class size."""
    with tempfile.TemporaryDirectory(prefix="pia-scale-") as tmp:
        folder = Path(tmp)
        build_course(folder, students, names)
        row = {"students": students, "submissions": students * len(names)}
        row["package"], row["package_rss"], results = grade_package(folder, names, jobs)
        if stock:
            walls, peaks = zip(*(run("nbgrader", "autograde", a, "--force", cwd=folder) for a in names))
            row.update(stock=sum(walls), stock_rss=max(peaks),
                       differing=[key for a in names for key in differing(folder, a, results)])
    return row


def slope(rows):
    """Seconds per submission of the package: the least-squares line through (submissions, wall)."""
    x = np.array([r["submissions"] for r in rows], dtype=float)
    y = np.array([r["package"] for r in rows])
    return float(np.polyfit(x, y, 1)[0]) if len(rows) > 1 else float(y[0] / x[0])


def draw(rows, path, jobs):
    """Wall time and peak memory against class size, package and stock, into the PNG at ``path``."""
    figure = Figure(figsize=(10, 4))
    wall, memory = figure.subplots(1, 2)
    sizes = [r["students"] for r in rows]
    stocked = [r for r in rows if "stock" in r]
    wall.plot(sizes, [r["package"] for r in rows], "o-", label=f"package (--jobs {jobs})")
    wall.plot([r["students"] for r in stocked], [r["stock"] for r in stocked], "s--", label="stock nbgrader autograde")
    memory.plot(sizes, [r["package_rss"] for r in rows], "o-", label="package")
    memory.plot([r["students"] for r in stocked], [r["stock_rss"] for r in stocked], "s--", label="stock")
    for axes, title, unit in ((wall, "Wall time, whole class, all assignments", "s"),
                              (memory, "Peak memory of the largest process", "MiB")):
        axes.set_xscale("log")
        axes.set_xticks(sizes, [str(s) for s in sizes])
        axes.set_xlabel("students")
        axes.set_ylabel(unit)
        axes.set_title(title, fontsize=9)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    wall.set_yscale("log")
    wall.yaxis.set_major_formatter(ScalarFormatter())
    wall.yaxis.set_minor_formatter(ScalarFormatter())
    memory.set_ylim(bottom=0)
    figure.suptitle(f"{rows[0]['submissions'] // rows[0]['students']} assignments, {time.strftime('%Y-%m-%d')}",
                    fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")


def report(rows, jobs):
    table = Table(title=f"whole class, all assignments, one package command, jobs={jobs} ({time.strftime('%Y-%m-%d')})")
    for column in ("students", "submissions", "package (s)", "stock (s)", "ratio", "package RSS (MiB)",
                   "stock RSS (MiB)", "same scores"):
        table.add_column(column, justify="right")
    for r in rows:
        stock = "stock" in r
        table.add_row(str(r["students"]), str(r["submissions"]), f"{r['package']:.1f}",
                      f"{r['stock']:.1f}" if stock else "–", f"{r['stock'] / r['package']:.1f}×" if stock else "–",
                      f"{r['package_rss']:.0f}", f"{r['stock_rss']:.0f}" if stock else "–",
                      ("yes" if not r["differing"] else f"NO: {len(r['differing'])}") if stock else "–")
    Console(width=150).print(table)
    print(f"package slope: {slope(rows):.3f} s per submission")
    at_30 = next((r for r in rows if r["students"] == 30 and "stock" in r), None)
    if at_30:
        print(f"ratio at 30 students: {at_30['stock'] / at_30['package']:.1f}×")
    for r in rows:
        for key in r.get("differing", []):
            print(f"scores differ at {r['students']} students: {key}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 100, 300])
    parser.add_argument("--stock-up-to", type=int, default=30, help="grade with stock nbgrader up to this size")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignments", nargs="*", default=assignments.known())
    parser.add_argument("--plot", type=Path, default=Path("scale.png"), help="the PNG drawn (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also keep the rows as JSON here")
    args = parser.parse_args()
    rows = []
    for size in sorted(args.sizes):
        rows.append(one_size(size, args.assignments, args.jobs, stock=size <= args.stock_up_to))
        print(f"{size} students: package {rows[-1]['package']:.1f} s"
              + (f", stock {rows[-1]['stock']:.1f} s" if "stock" in rows[-1] else ""), flush=True)
    report(rows, args.jobs)
    draw(rows, args.plot, args.jobs)
    print(f"drawn: {args.plot}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
