"""The class report: a small class graded for real, the report made by the CLI, opened in headless Chromium."""
import csv
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread
import nbformat
from nbgrader import utils as nbutils
from nbgrader.api import Gradebook

from autograder import assignments, results
from autograder.course import batch, gradebook, report
from conftest import ASSIGNMENT, ENV, REPO
from test_batch import DUEDATE, REFERENCE, grade_class, mini_class, write

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium")
# A student function that crashes its worker, and one whose error quotes HTML back.
SEGFAULT = "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import ctypes\n    ctypes.string_at(0)\n"
INJECTION = '<b id="inyeccion">x</b>'
QUOTING = f"def autograd_gradients(X, Y, W, b):\n    raise ValueError('{INJECTION}')\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The small class of test_batch (stub, late carla, broken ivan, empty mia) plus a crash and a quoted
    message, graded into results/<assignment>/ and a gradebook; beto's written answer scored by hand."""
    root = mini_class(tmp_path_factory.mktemp("report") / "course")
    write({**REFERENCE, "make_regression_data": SEGFAULT})(root / "submitted" / "pablo")
    write({**REFERENCE, "autograd_gradients": QUOTING})(root / "submitted" / "zoe")
    grade_class(root / "submitted", root / "results" / ASSIGNMENT, root / "gradebook.db", duedate=DUEDATE,
                config=gradebook.course_config(root))
    master = nbformat.read(assignments.master_notebook(ASSIGNMENT), as_version=4)
    written = next(c.metadata.nbgrader.grade_id for c in master.cells if nbutils.is_grade(c) and nbutils.is_solution(c))
    book = Gradebook(f"sqlite:///{root / 'gradebook.db'}")
    try:
        book.find_grade(written, ASSIGNMENT, ASSIGNMENT, "beto").manual_score = 1.0
        book.db.commit()
    finally:
        book.close()
    return root


def make_report(root, out, *gradebook):
    return subprocess.run([sys.executable, "-m", "autograder", "report", "--results", str(root / "results"),
                           "--out", str(out), *gradebook], cwd=REPO, env=ENV, capture_output=True, text=True,
                          timeout=300)


def grades(out):
    with open(out / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_timings_sidecar(graded):
    """Batch grading logs one timing per graded submission beside the results files."""
    lines = [json.loads(line) for line in (graded / "results" / ASSIGNMENT / results.TIMINGS).read_text().splitlines()]
    assert sorted(line["student"] for line in lines) == ["beto", "carla", "ivan", "mia", "pablo", "zoe"]
    assert all(line["seconds"] > 0 for line in lines if line["status"] == "graded")
    assert {line["student"]: line["status"] for line in lines}["ivan"] == "invalid_submission"


def test_csv_and_page_from_results(graded, tmp_path):
    done = make_report(graded, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    rows = grades(tmp_path / "out")
    assert list(rows["carla"]) == ["student", ASSIGNMENT, "total"]
    assert {s: r["total"] for s, r in rows.items()} == {"beto": "0", "carla": "8", "ivan": "0", "mia": "0",
                                                        "pablo": "9", "zoe": "9"}
    page = (tmp_path / "out" / "index.html").read_text()
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page)) == 3
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    problems = page.split("Submissions not graded cleanly")[1].split("<h2>")[0]
    for student, status in [("ivan", "invalid_submission"), ("mia", "missing_submission"),
                            ("pablo", "test_make_regression_data: crashed")]:
        assert re.search(rf"<td>{student}</td><td>[^<]*</td><td>[^<]*</td>", problems), student
        assert status in problems
    assert "zoe" not in problems and "beto" not in problems
    failed = page.split("Checks that failed most")[1].split("<h3>")[0]
    assert "test_autograd_gradients" in failed
    assert INJECTION not in page and "&lt;b id=&#34;inyeccion&#34;&gt;x&lt;/b&gt;" in page


def test_gradebook_totals(graded, tmp_path):
    """With the gradebook: beto's hand-scored written answer counts and carla's late penalty (zero) applies."""
    done = make_report(graded, tmp_path / "out", "--gradebook", str(graded / "gradebook.db"))
    assert done.returncode == 0, done.stderr
    totals = {s: r["total"] for s, r in grades(tmp_path / "out").items()}
    assert totals == {"beto": "1", "carla": "0", "ivan": "0", "mia": "0", "pablo": "9", "zoe": "9"}


def test_bad_inputs(graded, tmp_path):
    """A clear error, exit status 2, nothing written."""
    one_folder = [sys.executable, "-m", "autograder", "report", "--results", str(graded / "results" / ASSIGNMENT),
                  "--out", str(tmp_path / "out")]
    done = subprocess.run(one_folder, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "pass its parent folder" in done.stderr, done.stderr
    done = make_report(graded, tmp_path / "out", "--gradebook", str(tmp_path / "none.db"))
    assert done.returncode == 2 and "no gradebook at" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def screenshot(page, png):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", "--window-size=1300,1400", page.as_uri()],
                   capture_output=True, timeout=300, check=True)
    return imread(png)[..., :3]


def coloured(image, colour):
    """How many pixels are within a small distance of ``colour``."""
    return int((np.abs(image - np.array(to_rgb(colour))).max(axis=-1) < 0.06).sum())


@pytest.mark.skipif(CHROMIUM is None, reason="needs the Debian package chromium (.ci/run installs it)")
def test_plots_render_in_chromium(graded, tmp_path):
    """The page's plots show in a real browser: many pixels of every bar colour; none once the images break."""
    out = tmp_path / "out"
    assert make_report(graded, out).returncode == 0
    page = out / "index.html"
    shown = screenshot(page, tmp_path / "shown.png")
    broken = tmp_path / "broken.html"
    broken.write_text(page.read_text().replace("base64,iVBOR", "base64,AAAA"))
    hidden = screenshot(broken, tmp_path / "broken.png")
    for name, colour in report.COLOURS.items():
        assert coloured(shown, colour) > 3000, name
        assert coloured(hidden, colour) < 100, name


def test_csv_ids_never_run_as_formulas(tmp_path):
    """Does a student id that a spreadsheet would run as a formula land in grades.csv quoted, as text?"""
    formula = "=1+1"
    result = {"assignment": ASSIGNMENT, "status": "graded", "score": 1.0, "max_score": 1.0,
              "tests": [{"name": "test_x", "score": 1.0, "max_score": 1.0, "status": "passed", "output": "ok"}]}
    (tmp_path / "results" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "results" / ASSIGNMENT / f"{formula}.json").write_text(json.dumps(result))
    done = make_report(tmp_path, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert set(grades(tmp_path / "out")) == {f"'{formula}"}
