"""Grade exports from a gradebook the package's grade command wrote: Moodle CSV, Gradescope
results.json, GitHub Classroom's points line; and stock ``nbgrader export`` on the same gradebook.

The class of tests/test_feedback.py: ana (reference, written answer graded 1/1 by hand, an email),
beto (stub), carla (8 points, late: penalty "zero"), ivan (broken file), mia (nothing), zoe_xss.
"""
import csv
import io
import json
import sys

import pytest
from nbgrader.api import Gradebook

from autograder.checks.seeds import item_seed
from autograder.course import exports
from conftest import ASSIGNMENT, ENV, run
from test_batch import HIDDEN_MARKERS, ITEMS
from test_feedback import WRITTEN, graded_class, written_points

pytestmark = pytest.mark.slow
STUDENTS = {"ana", "beto", "carla", "ivan", "mia", "zoe_xss"}
ITEMS_MAX = sum(item.points for item in ITEMS)
# Gradescope's documented results.json keys (Autograder Specifications), top level and per test.
GRADESCOPE_TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
                  "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
GRADESCOPE_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                   "tags", "visibility", "extra_data"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The graded class; ana has an email, as `nbgrader db student add --email` gives her."""
    root = tmp_path_factory.mktemp("exports") / "course"
    source = graded_class(root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_student("ana", email="ana@example.org")
    return root, source


def export(root, *args, check=True):
    return run(sys.executable, "-m", "autograder", "export", "--gradebook", str(root / "gradebook.db"), *args,
               cwd=root, check=check)


def results_of(root, student):
    return json.loads((root / "results" / f"{student}.json").read_text())


def test_nbgrader_export_and_moodle_csv_agree(course, tmp_path):
    """Stock `nbgrader export` reads the gradebook; the Moodle CSV (command, stdout and nbgrader plugin alike)
    has its identifiers and, per student, nbgrader's score: manual points in, late penalty out."""
    root, _ = course
    (tmp_path / "nbgrader_config.py").write_text(
        f'c = get_config()\nc.CourseDirectory.db_url = "sqlite:///{root / "gradebook.db"}"\n')
    run("nbgrader", "export", "--to", "grades.csv", cwd=tmp_path)
    with open(tmp_path / "grades.csv") as handle:
        stock = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(stock) == STUDENTS
    carla = stock["carla"]
    assert (carla["raw_score"], carla["late_submission_penalty"], carla["score"]) == ("8.0", "8.0", "0.0")
    assert float(stock["ana"]["score"]) == results_of(root, "ana")["score"] + 1

    export(root, "--to", "moodle", "--out", str(tmp_path / "moodle.csv"))
    text = (tmp_path / "moodle.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["ID number", "Email address", ASSIGNMENT]
    moodle = {row[0]: row for row in rows[1:]}
    assert set(moodle) == STUDENTS
    assert moodle["ana"][1] == "ana@example.org" and moodle["beto"][1] == ""
    assert {s: float(row[2]) for s, row in moodle.items()} == {s: float(row["score"]) for s, row in stock.items()}

    everyone = export(root, "--to", "moodle")
    assert everyone.stdout == text
    missing = sorted(STUDENTS - {"ana"})
    assert f"{len(missing)} of {len(STUDENTS)} students have no e-mail address ({', '.join(missing)})" in everyone.stderr
    assert "nbgrader db student add ID --email ADDRESS" in everyone.stderr
    ana = export(root, "--to", "moodle", "--student", "ana")
    assert ana.stdout == "\n".join(text.splitlines()[:2]) + "\n" and ana.stderr == ""
    assert "1 of 1 students have no e-mail address (beto)" in export(root, "--to", "moodle", "--student", "beto").stderr
    run("nbgrader", "export", "--exporter", "autograder.course.exports.MoodleExportPlugin", "--to", "plugin.csv",
        cwd=tmp_path)
    assert (tmp_path / "plugin.csv").read_text() == text


def test_gradescope_results_json(course, tmp_path):
    """One results.json per submission in Gradescope's schema: the total as score, one test per grade cell with
    the check's message, the written answer pending or graded, the late penalty said; nothing hidden or another
    student's."""
    root, source = course
    out = tmp_path / "gradescope"
    done = export(root, "--to", "gradescope", "--out", str(out), "--assignment", ASSIGNMENT,
                  "--results", str(root / "results"))
    assert "6 results.json written" in done.stdout
    files = {p.parent.name: json.loads(p.read_text()) for p in out.glob(f"{ASSIGNMENT}/*/results.json")}
    assert set(files) == STUDENTS
    seeds = [str(item_seed(ASSIGNMENT, item.grade_id)) for item in ITEMS]
    with exports.reading(root / "gradebook.db") as db:
        grades = {g.student: g for g in exports.submission_grades(db, ASSIGNMENT)}
    for student, result in files.items():
        assert set(result) <= GRADESCOPE_TOP and isinstance(result["score"], float)
        assert result["score"] == grades[student].total
        for test in result["tests"]:
            assert set(test) <= GRADESCOPE_TEST and isinstance(test["name"], str) and isinstance(test["output"], str)
            assert 0 <= test["score"] <= test["max_score"] and test.get("status", "passed") in ("passed", "failed")
        assert sum(t["max_score"] for t in result["tests"]) == ITEMS_MAX + written_points(source)
        own = {t["name"]: t["output"] for t in results_of(root, student)["tests"]}
        for test in result["tests"]:
            if test["name"] in own:
                assert test["output"] == own[test["name"]]
        text = json.dumps(result, ensure_ascii=False)
        for secret in [*HIDDEN_MARKERS, *seeds, results_of(root, student)["grader"]["sha256"]]:
            assert secret not in text, (student, secret)
        for other in STUDENTS - {student}:
            theirs = {t["output"] for t in results_of(root, other)["tests"]} - set(own.values())
            assert not any(message in text for message in theirs), (student, other)
    ana = {t["name"]: t for t in files["ana"]["tests"]}
    assert ana[WRITTEN]["score"] == 1 and ana[WRITTEN]["status"] == "passed"
    assert "Comentario del profesor: Bien razonado" in ana[WRITTEN]["output"]
    carla = files["carla"]
    assert carla["score"] == 0 and "penalización por entrega tardía: -8 puntos" in carla["output"]
    assert {t["name"]: t for t in carla["tests"]}[WRITTEN] == {
        "name": WRITTEN, "score": 0.0, "max_score": 1.0, "output": exports.PENDING}



def test_classroom_points_line(course):
    """`Points X/Y` for one student: the total (manual points in, late penalty out) over the maximum."""
    root, source = course
    maximum = ITEMS_MAX + written_points(source)
    ana = results_of(root, "ana")["score"] + 1
    assert export(root, "--to", "classroom", "--student", "ana").stdout == f"Points {ana:g}/{maximum:g}\n"
    assert export(root, "--to", "classroom", "--student", "carla", "--assignment", ASSIGNMENT).stdout == (
        f"Points 0/{maximum:g}\n")
    unknown = export(root, "--to", "classroom", "--student", "nadie", check=False)
    assert unknown.returncode == 2 and "no submission" in unknown.stderr and not unknown.stdout
    nobody = export(root, "--to", "classroom", check=False)
    assert nobody.returncode == 2 and "needs --student" in nobody.stderr


def test_bad_inputs_get_a_clear_error_and_write_nothing(course, tmp_path):
    """A missing gradebook (not created), a file that is no database, an unknown assignment, no --out."""
    root, _ = course
    missing = run(sys.executable, "-m", "autograder", "export", "--gradebook", str(tmp_path / "no.db"), "--to",
                  "moodle", cwd=tmp_path, check=False)
    assert missing.returncode == 2 and "no gradebook at" in missing.stderr and not (tmp_path / "no.db").exists()
    (tmp_path / "notes.db").write_text("not a database\n" * 100)
    broken = run(sys.executable, "-m", "autograder", "export", "--gradebook", str(tmp_path / "notes.db"), "--to",
                 "moodle", cwd=tmp_path, check=False)
    assert broken.returncode == 2 and "cannot read the gradebook" in broken.stderr
    unknown = export(root, "--to", "moodle", "--assignment", "99_nada", "--out", str(tmp_path / "m.csv"), check=False)
    assert unknown.returncode == 2 and "99_nada" in unknown.stderr and not (tmp_path / "m.csv").exists()
    no_out = export(root, "--to", "gradescope", check=False)
    assert no_out.returncode == 2 and "needs --out" in no_out.stderr


def test_moodle_note_when_the_gradebook_has_no_email_at_all(tmp_path, monkeypatch):
    """Without any e-mail address in the gradebook, does the note say so and how to add them?"""
    monkeypatch.setenv("PATH", ENV["PATH"])  # nbgrader runs alembic to create a gradebook
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gradebook:
        gradebook.add_student("ana")
        gradebook.add_student("beto")
    with exports.reading(url) as db:
        note = exports.email_note(db)
    assert note.startswith("the gradebook holds no e-mail addresses: Moodle can match them on \"ID number\"")
    assert "nbgrader db student import students.csv" in note


def test_moodle_cells_never_run_as_formulas(tmp_path, monkeypatch):
    """Does a student id or e-mail that a spreadsheet would run as a formula land in the Moodle CSV quoted?"""
    monkeypatch.setenv("PATH", ENV["PATH"])
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    formula = '=HYPERLINK("http://x")'
    with Gradebook(url) as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_student(formula, email="@SUM(1)")
        gradebook.add_student("ana", email="ana@example.org")
    with exports.reading(url) as db:
        rows = list(csv.reader(io.StringIO(exports.moodle_csv(db))))
    assert [row[:2] for row in rows[1:]] == [[f"'{formula}", "'@SUM(1)"], ["ana", "ana@example.org"]]
