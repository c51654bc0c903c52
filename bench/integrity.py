"""Benchmark: the integrity command on one large class, all pairs compared.

Builds a temporary course of N students (default 300) for one assignment: each answer cell is a demo
student's or the reference's, with random lines of its own added (so fingerprints differ from student to
student), and every tenth student copies the previous one.  Writes a results file per student, then times
`python -m autograder integrity` end to end (start-up, reading the notebooks, scanning, fingerprints, every
pair, heat map, page and CSV).  The budget is 60 s for 300 students on two cores.

    python bench/integrity.py --students 300 --assignment 01_regresion_lineal
"""
import argparse
import csv
import importlib
import inspect
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from autograder import assignments  # noqa: E402

BUDGET = 60.0  # seconds for 300 students


def answers(assignment):
    """{grade_id: [source, ...]}: every demo student's answer and the reference's, per answer cell."""
    module = importlib.import_module(f"solutions.{assignments.module_name(assignment)}")
    found = {}
    for path in sorted((REPO / "demo" / "submitted").glob(f"*/{assignment}/{assignment}.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                found.setdefault(meta["grade_id"], []).append(cell.source)
    for grade_id, sources in found.items():
        sources.append(inspect.getsource(getattr(module, grade_id.removeprefix("sol_"))))
    return found


def own_lines(rng):
    """A few lines no classmate wrote."""
    return "".join(f"aux_{i} = ({rng.randint(0, 999)} * {rng.randint(0, 999)} + {rng.randint(0, 99)}) "
                   f"// {rng.randint(1, 99)}\n" for i in range(rng.randint(2, 6)))


def build_class(folder, assignment, students, seed=0):
    """``folder/submitted/sNNN/<assignment>/<assignment>.ipynb`` and ``folder/results/sNNN.json``."""
    rng, pool = random.Random(seed), answers(assignment)
    release = REPO / "release" / assignment / f"{assignment}.ipynb"
    (folder / "results").mkdir(parents=True)
    previous = None
    for i in range(students):
        notebook = nbformat.read(release, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in pool:
                cell.source = rng.choice(pool[grade_id]) + "\n" + own_lines(rng)
        if i % 10 == 9:
            notebook = previous
        previous = notebook
        path = folder / "submitted" / f"s{i:03d}" / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, path)
        result = {"assignment": assignment, "status": "graded", "score": 0.0, "max_score": 1.0,
                  "tests": [{"name": "test", "score": 0.0, "max_score": 1.0}]}
        (folder / "results" / f"s{i:03d}.json").write_text(json.dumps(result), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--assignment", default="01_regresion_lineal", choices=assignments.known())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_class(folder, args.assignment, args.students)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "integrity", "--assignment", args.assignment,
                        "--results", str(folder / "results"), "--out", str(folder / "out"),
                        str(folder / "submitted")], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        with open(folder / "out" / "integrity.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    planted = args.students // 10
    found = sum(r["listed"] == "1" and {r["student_a"], r["student_b"]} == {f"s{k - 1:03d}", f"s{k:03d}"}
                for r in rows for k in range(9, args.students, 10))
    print(f"{args.assignment}: {args.students} students, {len(rows)} pairs in {seconds:.1f} s "
          f"(budget {BUDGET:g} s for 300 students); planted copies listed: {found} of {planted}; "
          f"pairs listed: {sum(r['listed'] == '1' for r in rows)}")
    return 0 if seconds <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
