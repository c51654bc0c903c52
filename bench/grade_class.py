"""Benchmark: grade one class with stock `nbgrader autograde` and with the package.

Builds a temporary course with N students (default 30) cycling through the
demo submissions (reference, stub and wrong ones) for every assignment, then
in the same run, with the same torch thread count (OMP_NUM_THREADS=1),
grades it (a) with `nbgrader autograde` and (b) with
`python -m autograder grade --jobs J`, one command per assignment and then one
command for all of them, checks that both give the same item scores on every
submission, and prints medians over --repeats runs: wall time per assignment
and for the class, the ratio, the fixed cost of a submission inside a batch
(the marginal time of a stub, where every check fails at once), the peak RSS
of each command's largest process, and one student's assignments graded from
a cold start.

    python bench/grade_class.py --students 30 --repeats 3 --jobs 2
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from autograder import assignments  # noqa: E402
from autograder.engine.notebook import items, read_master  # noqa: E402

REPEATS = 3  # runs of each batch in the fixed cost, the fastest kept: the machine's noise only adds
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run(*args, cwd):
    """Run a command; returns (wall seconds, peak RSS in MiB of its largest process, descendants included)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        if os.waitstatus_to_exitcode(status):
            stderr.seek(0)
            sys.exit(f"{' '.join(map(str, args))} failed:\n{stderr.read().decode(errors='replace')[-3000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def build_course(folder, students, names, only=None):
    """A course with ``students`` submissions per assignment, cycling through demo students."""
    shutil.copy(REPO / "nbgrader_config.py", folder)
    shutil.copytree(REPO / "source", folder / "source")
    demo = sorted(p.name for p in (REPO / "demo" / "submitted").iterdir())
    for assignment in names:
        run("nbgrader", "generate_assignment", assignment, "--force", cwd=folder)
        for i in range(students):
            model = only or demo[i % len(demo)]
            src = REPO / "demo" / "submitted" / model / assignment
            shutil.copytree(src, folder / "submitted" / f"s{i:03d}" / assignment)


def stock_scores(folder, assignment):
    """Scores of the autograded items; written answers are left to a human by both graders."""
    autograded = {item.grade_id for item in items(read_master(assignments.master_notebook(assignment)))}
    with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gradebook:
        return {(s.student.id, g.name): g.score for s in gradebook.assignment_submissions(assignment)
                for n in s.notebooks for g in n.grades if g.name in autograded}


def package_scores(results):
    return {(path.stem, t["name"]): t["score"] for path in results.glob("*.json")
            for t in json.loads(path.read_text())["tests"]}


def grade_package(folder, names, jobs):
    """One grading command for ``names``; returns (wall, peak RSS, the results root holding <assignment>/)."""
    results = folder / "results"
    target = results if len(names) > 1 else results / names[0]
    wall, rss = run(sys.executable, "-m", "autograder", "grade", *(f"--assignment={a}" for a in names), "--quiet",
                    "--force", "--jobs", str(jobs), "--results", str(target), str(folder / "submitted"), cwd=folder)
    return wall, rss, results


def differing(folder, assignment, results):
    """(student, item, stock score, package score) where stock nbgrader's gradebook and the package's results files disagree."""
    stock, package = stock_scores(folder, assignment), package_scores(results / assignment)
    return sorted((*key, stock[key], package.get(key)) for key in stock if stock[key] != package.get(key))


def one_repeat(students, names, jobs):
    """{assignment: {stock, package, stock_rss, package_rss, differing}} and, under "class", the package
    grading every assignment in one command: {package, package_rss, differing}."""
    rows = {}
    with tempfile.TemporaryDirectory(prefix="pia-bench-") as tmp:
        folder = Path(tmp)
        build_course(folder, students, names)
        for assignment in names:
            stock, stock_rss = run("nbgrader", "autograde", assignment, "--force", cwd=folder)
            package, package_rss, results = grade_package(folder, [assignment], jobs)
            rows[assignment] = {"stock": stock, "package": package, "stock_rss": stock_rss,
                                "package_rss": package_rss, "differing": differing(folder, assignment, results)}
        package, package_rss, results = grade_package(folder, names, jobs)
        rows["class"] = {"package": package, "package_rss": package_rss,
                         "differing": [key for a in names for key in differing(folder, a, results)]}
    return rows


def fixed_cost(names, jobs, students):
    """Marginal seconds of one stub submission inside a batch, in this process with warm workers (a command's
    own start varies by more than the quantity): (T(B + N stubs) - T(B stubs)) / N per assignment, B = J ×
    batch.PER_WORKER so that both batches use the same J workers, each the fastest of REPEATS; the median over the
    assignments."""
    from autograder.course import batch
    from autograder.engine import pool

    base, costs = jobs * batch.PER_WORKER, []
    for assignment in names:
        with tempfile.TemporaryDirectory(prefix="pia-bench-stub-") as tmp:
            folder = Path(tmp)
            build_course(folder, base + students, [assignment], only="beto")
            students_folders = sorted((folder / "submitted").iterdir())

            def wall(count):
                start = time.perf_counter()
                batch.run(assignment, students_folders[:count], folder / "results", jobs=jobs, force=True,
                          progress=False)
                return time.perf_counter() - start

            wall(base)  # the workers start, the judges load
            small, large = (min(wall(count) for _ in range(REPEATS)) for count in (base, base + students))
            costs.append((large - small) / students)
    pool.stop_idle()  # the next figure starts from cold
    return statistics.median(costs)


def one_student(names, jobs):
    """Wall seconds to grade the reference student's assignments in one command, from cold."""
    with tempfile.TemporaryDirectory(prefix="pia-bench-one-") as tmp:
        folder = Path(tmp)
        build_course(folder, 1, names, only="ana")
        return grade_package(folder, names, jobs)[0]


def print_table(repeats, args):
    """The medians over repeats, one row per assignment and two for the class, then any differing score."""
    table = Table(title=f"{args.students} students, {os.cpu_count()} cores, jobs={args.jobs}, "
                        f"median of {args.repeats} ({time.strftime('%Y-%m-%d')})")
    for column in ("assignment", "stock nbgrader (s)", "package (s)", "ratio",
                   "peak RSS stock (MiB)", "peak RSS package (MiB)", "same scores"):
        table.add_column(column, justify="right")

    def median(row, key):
        return statistics.median(r[row][key] for r in repeats)

    def peak(row, key):
        return f"{max(r[row][key] for r in repeats):.0f}"

    def differ(row):
        return sorted({key for r in repeats for key in r[row]["differing"]})

    def same(row):
        return "yes" if not differ(row) else f"NO: {len(differ(row))} items (below)"

    stock = sum(median(a, "stock") for a in args.assignments)
    per_command = sum(median(a, "package") for a in args.assignments)
    for a in args.assignments:
        table.add_row(a, f"{median(a, 'stock'):.1f}", f"{median(a, 'package'):.1f}",
                      f"{median(a, 'stock') / median(a, 'package'):.1f}×", peak(a, "stock_rss"),
                      peak(a, "package_rss"), same(a))
    table.add_row("class, a command per assignment", f"{stock:.1f}", f"{per_command:.1f}",
                  f"{stock / per_command:.1f}×", "", "", "")
    table.add_row(f"class, one command (--assignment × {len(args.assignments)})", f"{stock:.1f}",
                  f"{median('class', 'package'):.1f}", f"{stock / median('class', 'package'):.1f}×", "",
                  peak("class", "package_rss"), same("class"))
    Console(width=150).print(table)
    for row in [*args.assignments, "class"]:
        for student, item, stock_score, package_score in differ(row):
            print(f"scores differ: {row} {student} {item}: stock {stock_score}, package {package_score}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--assignments", nargs="*", default=assignments.known())
    args = parser.parse_args()
    repeats = [one_repeat(args.students, args.assignments, args.jobs) for _ in range(args.repeats)]
    print_table(repeats, args)
    print(f"fixed cost of a stub submission inside a batch: {fixed_cost(args.assignments, args.jobs, args.students):.3f} s")
    print(f"one student's {len(args.assignments)} assignments, graded from a cold start: "
          f"{one_student(args.assignments, args.jobs):.1f} s wall")


if __name__ == "__main__":
    main()
