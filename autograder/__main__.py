"""Command line: ``python -m autograder grade --assignment A --results OUT SUBMISSION...``."""
import argparse
import sys
from pathlib import Path

from autograder import assignments, results, runner


def student_id(path, assignment):
    """``submitted/<student>/<assignment>/<assignment>.ipynb`` → student; else the parent folder."""
    path = Path(path).resolve()
    return path.parent.parent.name if path.parent.name == assignment else path.parent.name


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submitted notebooks; write results.json files")
    grade.add_argument("--assignment", required=True, choices=assignments.known())
    grade.add_argument("--results", required=True, type=Path,
                       help="the results file (one notebook) or a folder receiving <student>.json")
    grade.add_argument("--source", type=Path, default=assignments.SOURCE,
                       help="the course's source/ folder with the master notebooks (default: %(default)s)")
    grade.add_argument("--check-timeout", type=float, default=runner.Limits.check_timeout,
                       help="seconds per test cell (default: %(default)s)")
    grade.add_argument("--cell-timeout", type=float, default=runner.Limits.cell_timeout,
                       help="seconds per other cell (default: %(default)s)")
    grade.add_argument("--quiet", action="store_true", help="do not print the grade table")
    grade.add_argument("notebooks", nargs="+", type=Path)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    if not assignments.master_notebook(args.assignment, args.source).exists():
        sys.exit(f"error: master notebook not found: {assignments.master_notebook(args.assignment, args.source)}")
    limits = runner.Limits(check_timeout=args.check_timeout, cell_timeout=args.cell_timeout)
    to_folder = len(args.notebooks) > 1 or args.results.is_dir() or args.results.suffix != ".json"
    graded = {}
    for path in args.notebooks:
        student = student_id(path, args.assignment)
        graded[student] = runner.grade(args.assignment, path, args.source, limits)
        results.write(graded[student], args.results / f"{student}.json" if to_folder else args.results)
    if not args.quiet:
        from rich.console import Console
        Console(width=None if sys.stdout.isatty() else 160).print(results.table(graded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
