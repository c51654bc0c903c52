"""Command line: ``python -m autograder grade --assignment A [--assignment B …] --results OUT SUBMISSION...``.

SUBMISSION is a notebook, or a folder in nbgrader's layout (a course's
``submitted/``, one student's folder, or one submission folder).
"""
import argparse
import atexit
import os
import sys
from pathlib import Path

from autograder import assignments
from autograder.engine.limits import Limits


def parser():
    top = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade submitted notebooks; write results.json files")
    grade.add_argument("--assignment", required=True, action="append", choices=assignments.known(),
                       help="the assignment to grade; repeat it to grade several in one run, sharing the warm "
                            "workers (then --results is a folder receiving <assignment>/<student>.json)")
    grade.add_argument("--results", required=True, type=Path,
                       help="the results file (one notebook) or a folder receiving <student>.json")
    grade.add_argument("--gradebook", metavar="URL_OR_PATH",
                       help="also record the grades in this nbgrader gradebook (an SQLite file or an SQLAlchemy URL), "
                            "creating it, the assignment and the students when missing")
    grade.add_argument("--duedate", help="set the assignment's due date in the gradebook (nbgrader's format, "
                                         "e.g. '2025-03-01 23:59:59 Europe/Madrid'); late penalties follow "
                                         "c.LateSubmissionPlugin.penalty_method in nbgrader_config.py")
    grade.add_argument("--jobs", type=int, default=1,
                       help="submissions graded in parallel, at most the number of cores; 0 = all cores (default: 1)")
    grade.add_argument("--force", action="store_true",
                       help="grade every submission again, even those whose results are current")
    grade.add_argument("--source", type=Path, default=assignments.SOURCE,
                       help="the course's source/ folder with the master notebooks (default: %(default)s)")
    grade.add_argument("--check-timeout", type=float, default=Limits.check_timeout,
                       help="seconds per test cell (default: %(default)s)")
    grade.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout,
                       help="seconds per other cell (default: %(default)s)")
    grade.add_argument("--quiet", action="store_true", help="print neither the progress bar nor the grade table")
    grade.add_argument("--student", help="the student of a single notebook outside nbgrader's layout "
                                         "submitted/<student>/<assignment>/ (required then with --gradebook)")
    grade.add_argument("--allow-empty", action="store_true",
                       help="grade even when no student has a folder for the assignment (all are recorded as "
                            "missing); without it that is refused as a wrong path or assignment")
    grade.add_argument("--sandbox", choices=("auto", "required"), default="auto",
                       help="auto: grade in bubblewrap where it runs, else warn and grade in plain subprocesses; "
                            "required: refuse to grade without bubblewrap (default: %(default)s)")
    grade.add_argument("--dry-run", action="store_true",
                       help="print the students and notebooks that would be graded, and write nothing")
    grade.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION")
    grade.set_defaults(run=grade_command)
    report = commands.add_parser("report", help="write the class report: an HTML page with plots and a grades CSV")
    report.add_argument("--results", required=True, type=Path, metavar="DIR",
                        help="folder with one results folder per assignment: DIR/<assignment>/<student>.json")
    report.add_argument("--out", required=True, type=Path, help="folder receiving index.html and grades.csv")
    report.add_argument("--gradebook", metavar="URL_OR_PATH",
                        help="take totals from this nbgrader gradebook (manual scores and late penalties included)")
    report.set_defaults(run=report_command)
    integrity = commands.add_parser(
        "integrity", help="flag answer code that reaches into the grader, and similar submissions (instructors only)",
        description="Scan the code each student wrote (never run) for reaches into the grader or the reference, "
                    "and compare every pair of submissions and the reference; write OUT/integrity.html and "
                    "OUT/integrity.csv for instructors (docs/integrity.md). No score changes.")
    integrity.add_argument("--assignment", required=True, choices=assignments.known())
    integrity.add_argument("--results", required=True, type=Path, metavar="DIR",
                           help="the grade command's results folder of the assignment (<student>.json): the "
                                "points shown beside each flag and pair")
    integrity.add_argument("--gradebook", metavar="URL_OR_PATH",
                           help="show totals from this nbgrader gradebook instead (manual scores and late "
                                "penalties included)")
    integrity.add_argument("--out", type=Path, default=Path("reports/class"),
                           help="the class report's folder, receiving integrity.html, integrity.csv and "
                                "integrity/<assignment>.json (default: %(default)s)")
    integrity.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION",
                           help="a submitted/ folder, the course root, student folders or notebooks")
    integrity.set_defaults(run=integrity_command)
    shard = commands.add_parser("shard", help="print the student folders of one shard of submitted/, one per line",
                                description="Deal the student folders of SUBMITTED (sorted by name) round robin into "
                                            "N shards and print those of shard I, one per line: every student lands "
                                            "in exactly one shard, the same on every machine.")
    shard.add_argument("--index", type=int, required=True, metavar="I", help="the shard to print, 0 to N-1")
    shard.add_argument("--of", type=int, required=True, metavar="N", help="the number of shards")
    shard.add_argument("submitted", type=Path, metavar="SUBMITTED",
                       help="a submitted/ folder in nbgrader's layout, or the course root holding it")
    shard.set_defaults(run=shard_command)
    feedback = commands.add_parser("feedback", help="write one Spanish HTML feedback page per results file",
                                   description="Write OUT/<student>/<assignment>.html for every DIR/<student>.json: "
                                               "points and message per item, total, what to revise. Pages never "
                                               "show hidden tests.")
    feedback.add_argument("--assignment", required=True, choices=assignments.known())
    feedback.add_argument("--results", required=True, type=Path, metavar="DIR",
                          help="the grade command's results folder (<student>.json)")
    feedback.add_argument("--out", required=True, type=Path, help="folder receiving <student>/<assignment>.html")
    feedback.add_argument("--gradebook", metavar="URL_OR_PATH",
                          help="add written answers (manually graded cells), manual scores, comments and late "
                               "penalties from this nbgrader gradebook")
    feedback.set_defaults(run=feedback_command)
    export = commands.add_parser("export", help="export the gradebook's grades for Moodle, Gradescope or GitHub "
                                                "Classroom", description="Totals as in `nbgrader export`: grades "
                                 "(manual scores replace automatic ones) less the late penalty, at least 0.")
    export.add_argument("--gradebook", required=True, metavar="URL_OR_PATH", help="the nbgrader gradebook to read")
    export.add_argument("--to", required=True, choices=("moodle", "gradescope", "classroom"),
                        help="moodle: grade import CSV (printed, or written to --out); gradescope: "
                             "OUT/<assignment>/<student>/results.json; classroom: print 'Points X/Y' for --student")
    export.add_argument("--out", type=Path, help="the CSV file (moodle) or the folder (gradescope)")
    export.add_argument("--assignment", help="only this assignment (classroom: needed when the student has several)")
    export.add_argument("--student", help="the student (classroom: required; moodle: only this row)")
    export.add_argument("--results", type=Path, metavar="DIR",
                        help="gradescope: the grade command's results folder of --assignment, for the checks' "
                             "messages")
    export.set_defaults(run=export_command)
    new = commands.add_parser("new", help="scaffold a new assignment NN_name, to be filled in (docs/extending.md)",
                              description="Write the master notebook source/NN_name/NN_name.ipynb, the probes, "
                                          "judges, reference and mutant catalogue of NN_name, and each demo "
                                          "student's notebook; refuse, writing nothing, if any of them exists.")
    new.add_argument("assignment", metavar="NN_name", help="the new assignment, e.g. 05_perceptron")
    new.add_argument("--functions", required=True, nargs="+", metavar="FUNCTION",
                     help="the functions the students write, one graded item each, in notebook order")
    new.add_argument("--points", nargs="+", type=float, metavar="P",
                     help="the points of each function's test cell, in the same order (default: 1 each)")
    new.add_argument("--answer-points", type=float, default=2,
                     help="the points of the written question, graded by hand (default: %(default)s)")
    new.set_defaults(run=new_command)
    return top


# What the commands create (results, gradebook, autograded notebooks, reports, feedback) is readable by
# its owner and group only: grades and students' work are nobody else's business.
UMASK = 0o027


def main(argv=None):
    args = parser().parse_args(argv)
    previous = os.umask(UMASK)
    try:
        return args.run(args)
    finally:
        os.umask(previous)


def grade_command(args):
    """``grade``: batch grading into results files and, optionally, the gradebook; several assignments from one
    queue of submissions, so the sandboxed workers start once and stay busy."""
    names = list(dict.fromkeys(args.assignment))
    several = len(names) > 1
    for name in names:
        if not assignments.master_notebook(name, args.source).exists():
            return refuse(f"master notebook not found: {assignments.master_notebook(name, args.source)}")
    if args.duedate and not args.gradebook:
        return refuse("--duedate needs --gradebook")
    if several and args.results.suffix == ".json":
        return refuse("with several assignments --results is a folder (receiving <assignment>/<student>.json)")
    from autograder.engine import runner, sandbox

    unsandboxed = None if args.dry_run else sandbox.unavailable()
    if unsandboxed and args.sandbox == "required":
        return refuse(f"student code cannot be sandboxed here: {unsandboxed}; --sandbox required refuses to "
                      f"grade without bubblewrap")
    limits = Limits(check_timeout=args.check_timeout, cell_timeout=args.cell_timeout)
    if not args.dry_run:
        runner.start(limits)  # the worker starts in its sandbox while nbgrader and torch load here
    from autograder.course import batch

    try:  # every assignment's inputs are checked before anything is written
        batches = [batch.plan(name, args.submissions, args.results / name if several else args.results,
                              source=args.source, gradebook=args.gradebook, force=args.force,
                              allow_empty=args.allow_empty, student=args.student) for name in names]
    except batch.UsageError as exc:
        return refuse(exc)
    if args.dry_run:
        for each in batches:
            print(batch.describe(each.assignment, each.submissions))
        return 0
    cores = len(os.sched_getaffinity(0))
    jobs = cores if args.jobs <= 0 else min(args.jobs, cores)
    from rich.console import Console

    errors = Console(stderr=True)
    if unsandboxed:
        errors.print(f"warning: student code runs WITHOUT the sandbox ({unsandboxed}): it can read and change "
                     f"what this user can (docs/security.md)", style="bold red", markup=False, highlight=False)
    try:
        outcome = batch.grade(batches, limits=limits, gradebook=args.gradebook, duedate=args.duedate, jobs=jobs,
                              progress=not args.quiet)
    except batch.UsageError as exc:
        return refuse(exc)
    for each, (summary, graded) in zip(batches, outcome):
        if not args.quiet and graded:
            from autograder import results

            Console(width=None if sys.stdout.isatty() else 160).print(results.table(graded))
        errors.print(f"{each.assignment}: {summary.line()}" if several else summary.line(), markup=False,
                     highlight=False)
    return max(summary.exit_code for summary, _ in outcome)


def refuse(message):
    """A command that cannot start: one sentence on stderr, exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def shard_command(args):
    """``shard``: print the student folders of one shard."""
    from autograder.course import shard

    try:
        folders = shard.shard(args.submitted, args.index, args.of)
    except shard.ShardError as exc:
        return refuse(exc)
    for folder in folders:
        print(folder)
    return 0


def report_command(args):
    """``report``: the class report from results folders and, optionally, the gradebook."""
    from autograder.course import report

    try:
        page = report.write(args.results, args.out, gradebook=args.gradebook)
    except report.ReportError as exc:
        return refuse(exc)
    print(f"wrote {page} and {page.with_name('grades.csv')}")
    return 0


def integrity_command(args):
    """``integrity``: tampering flags and similar pairs of one assignment, added to the instructors' page."""
    from autograder.course import batch, integrity

    if args.out.exists() and not args.out.is_dir():
        return refuse(f"--out {args.out} is a file, not a folder")
    try:
        found = batch.discover(args.submissions, args.assignment)
        graded = integrity.graded(args.assignment, args.results)
        points = integrity.points(graded, args.assignment, args.gradebook)
        release, reference = integrity.course_files(args.assignment)
    except (batch.UsageError, integrity.IntegrityError) as exc:
        return refuse(exc)
    notebooks, notes = integrity.read(found)
    data = integrity.analyse(args.assignment, notebooks, release, reference, notes, integrity.recorded(graded))
    page = integrity.write(data, args.out, points)
    print(f"{args.assignment}: {len({f['student'] for f in data['flags']})} students flagged, "
          f"{data['listed']} similar pairs; wrote {page} and {page.with_name('integrity.csv')}")
    return 0


def feedback_command(args):
    """``feedback``: the students' HTML pages from results files and, optionally, the gradebook."""
    from autograder.course import exports, feedback

    try:
        pages, problems = feedback.write_pages(args.results, args.out, args.assignment, gradebook=args.gradebook)
    except exports.ExportError as exc:
        return refuse(exc)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"{len(pages)} feedback pages written under {args.out}")
    return 1 if problems else 0


def export_command(args):
    """``export``: grades out of the gradebook (Moodle CSV, Gradescope results.json, Classroom points)."""
    from autograder.course import exports

    if args.results and args.to != "gradescope":
        return refuse("--results is only for --to gradescope")
    try:
        text = exports.run(args.gradebook, args.to, out=args.out, assignment=args.assignment, student=args.student,
                           results_dir=args.results)
    except exports.ExportError as exc:
        return refuse(exc)
    if text:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def new_command(args):
    """``new``: the files of a new assignment, to be filled in."""
    from autograder.course import scaffold

    try:
        written = scaffold.create(args.assignment, args.functions, args.points, args.answer_points)
    except scaffold.ScaffoldError as exc:
        return refuse(exc)
    for path in written:
        print(f"wrote {path}")
    print("next: write the solution, probes, judges and mutants, then `make release` and `make selfcheck` "
          "(docs/extending.md)")
    return 0


def leave(code):
    """Exit with ``code`` without tearing down the interpreter: torch's, nbgrader's and IPython's modules take
    about 0.7 s to be finalized, for nothing.  The exit handlers still run first (the sandboxed workers are
    stopped, temporary folders removed) and the output is flushed."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0 if code is None else code)


if __name__ == "__main__":
    leave(main())
