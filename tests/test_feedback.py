"""Student feedback: the package's pages (``python -m autograder feedback``) and nbgrader's own
``generate_feedback`` with the course's configuration.

A small class is graded for real into a gradebook: the reference (ana), a stub (beto), a late wrong
answer (carla, late penalty "zero"), a broken file (ivan), an empty folder (mia), and zoe_xss, whose
function raises an exception carrying HTML.  The master used has one written-answer cell more
(grade and solution, graded by hand), so the pages are checked with written answers whatever the
course's own notebooks hold.
"""
import html
import json
import re
import shutil
import sys
from html.parser import HTMLParser

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import assignments
from autograder.checks.seeds import item_seed
from autograder.course import exports, feedback
from autograder.engine import notebook
from conftest import ASSIGNMENT, REPO, run, submission
from test_batch import HIDDEN_MARKERS, REFERENCE, grade_mini, mini_class

pytestmark = pytest.mark.slow
WRITTEN = "respuesta_prueba_feedback"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"
XSS_ANSWER = f"def linear_forward(X, W, b):\n    raise ValueError({XSS!r} + ' zoe-unico')\n"
COMMENT = "Bien razonado <b>zoe-no</b>"


def master_with_written_cell(root):
    """``root/source``: a copy of the assignment's source with one more written-answer cell (1 point)."""
    shutil.copytree(REPO / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    path = assignments.master_notebook(ASSIGNMENT, root / "source")
    master = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_markdown_cell("### BEGIN SOLUTION\nPorque sí.\n### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 1, "grade_id": WRITTEN,
                                 "schema_version": 3}
    master.cells.append(cell)
    nbformat.write(master, path)
    return root / "source"


def graded_class(root):
    """Grade the class into ``root/results`` and ``root/gradebook.db``; by hand: ana's written answer 1/1,
    beto's test_mse_loss 0.5/1 (a manual score over the check's)."""
    mini_class(root, extra=(("ana", "ana"),))
    submission(root / "submitted" / "zoe_xss" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
               {**REFERENCE, "linear_forward": XSS_ANSWER})
    source = master_with_written_cell(root)
    grade_mini(root, source=source)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:  # what the formgrader does
        gradebook.find_grade(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ana").manual_score = 1.0
        gradebook.find_grade("test_mse_loss", ASSIGNMENT, ASSIGNMENT, "beto").manual_score = 0.5
        gradebook.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "ana").manual_comment = "Bien razonado"
        gradebook.find_comment(WRITTEN, ASSIGNMENT, ASSIGNMENT, "zoe_xss").manual_comment = COMMENT
        gradebook.db.commit()
    return source


def written_points(source):
    """The points of the master's written-answer cells (grade and solution)."""
    master = notebook.read_master(assignments.master_notebook(ASSIGNMENT, source))
    return sum(meta.get("points", 0) for meta in map(notebook.nbgrader_meta, master.cells)
               if meta.get("grade") and meta.get("solution"))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """(root, {student: page HTML}) from the real command with the gradebook."""
    root = tmp_path_factory.mktemp("feedback") / "course"
    graded_class(root)
    done = run(sys.executable, "-m", "autograder", "feedback", "--assignment", ASSIGNMENT, "--results",
               str(root / "results"), "--out", str(root / "feedback"), "--gradebook", str(root / "gradebook.db"),
               cwd=root)
    assert "6 feedback pages" in done.stdout
    return root, {p.parent.name: p.read_text() for p in (root / "feedback").glob(f"*/{ASSIGNMENT}.html")}


class Page(HTMLParser):
    """A page's tags, and its visible text (outside <style>), split into table cells' texts."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.text, self.cells, self._in = [], [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if "style" in self._in:
            return
        self.text.append(data)
        if "td" in self._in:
            self.cells[-1] += data

    @property
    def visible(self):
        return " ".join(" ".join(self.text).split())


def results_of(root, student):
    return json.loads((root / "results" / f"{student}.json").read_text())


def squeeze(text):
    return " ".join(text.split())


def test_pages_show_items_total_written_answers_and_what_to_revise(pages):
    """ana: every item, the written answer graded by hand in the total; carla: late penalty, pending answer,
    the failed item in "qué revisar"; beto: a manual score replaces the check's, partly right items after
    the failed ones."""
    root, by_student = pages
    assert set(by_student) == {"ana", "beto", "carla", "ivan", "mia", "zoe_xss"}
    written = written_points(root / "source")
    ana, carla = Page(by_student["ana"]).visible, Page(by_student["carla"]).visible
    result = results_of(root, "ana")
    assert f"Total: {result['score'] + 1:g} / {result['max_score'] + written:g} puntos" in ana
    for test in result["tests"]:
        assert squeeze(f"{test['name'].removeprefix('test_')} {test['score']:g} / {test['max_score']:g} "
                       f"{test['output']}") in ana
    assert f"{WRITTEN} (respuesta escrita) 1 / 1 corregida Comentario del profesor: Bien razonado" in ana

    failed = [t for t in results_of(root, "carla")["tests"] if t["score"] == 0]
    assert [t["name"] for t in failed] == ["test_mse_gradients"], [(t["name"], t["status"], t["output"]) for t in failed]
    assert f"Total: 0 / {result['max_score'] + written:g} puntos" in carla  # late: penalty "zero"
    assert "Penalización por entrega tardía: −8 puntos" in carla
    assert f"{WRITTEN} (respuesta escrita) — / 1 pendiente de corrección manual" in carla
    review = carla.split("Qué revisar")[1].split("Apartados")[0]
    assert review.strip() == squeeze(f"mse_gradients (0 / 2): {failed[0]['output']}")
    beto = Page(by_student["beto"]).visible
    assert f"Total: 0,5 / {result['max_score'] + written:g} puntos" in beto
    assert "mse_loss 0,5 / 1" in beto and "Puntuación revisada por el profesor." in beto
    review = beto.split("Qué revisar")[1].split("Apartados")[0]
    assert review.count("(0 / ") == len(result["tests"]) - 1 and "mse_loss (0,5 / 1)" in review.split("(0 / ")[-1]
    assert "La entrega no se pudo calificar" in Page(by_student["ivan"]).visible
    assert "No se encontró la entrega" in Page(by_student["mia"]).visible


def test_student_text_is_escaped(pages):
    """zoe_xss's exception text and the grader's comment come out as text, never as markup."""
    root, by_student = pages
    page = Page(by_student["zoe_xss"])
    assert set(page.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "strong", "ol", "li",
                              "span", "table", "thead", "tbody", "tr", "th", "td"}
    assert XSS in page.visible and "zoe-unico" in page.visible
    assert html.escape(XSS, quote=False) in by_student["zoe_xss"]
    assert "Bien razonado <b>zoe-no</b>" in page.visible and "<b>" not in by_student["zoe_xss"]
    assert all(len(cell) <= feedback.MAX_MESSAGE for cell in page.cells)


def test_pages_hold_no_hidden_source_reference_values_or_other_students(pages):
    """No hidden-test source, no secret-derived seeds, no fingerprints; no number the student's own results
    and grades do not hold; nothing from another student's results."""
    root, by_student = pages
    master = nbformat.read(assignments.master_notebook(ASSIGNMENT, root / "source"), as_version=4)
    hidden = [line.strip() for cell in master.cells for region in notebook.HIDDEN.findall(cell.source)
              for line in region.splitlines() if line.strip()]
    assert hidden
    seeds = [str(item_seed(ASSIGNMENT, item.grade_id)) for item in notebook.items(master)]
    with exports.reading(root / "gradebook.db") as db:
        grades = {g.student: g for g in exports.submission_grades(db, ASSIGNMENT)}
    for student, text in by_student.items():
        result, visible = results_of(root, student), Page(text).visible
        for secret in [*HIDDEN_MARKERS, *hidden, *seeds, result["grader"]["sha256"]]:
            assert secret not in text, (student, secret)
        if result["submission"]["sha256"]:
            assert result["submission"]["sha256"] not in text
        mine = grades[student]
        own = " ".join([json.dumps(result, ensure_ascii=False), f"{mine.total:g} {mine.max_score:g}",
                        f"{mine.late_penalty:g} {len(mine.pending)}",
                        *(f"{cell.score:g} {cell.max_score:g}" for cell in mine.cells)])
        numbers = set(re.findall(r"\d+(?:[.,]\d+)?", visible))
        assert {n for n in numbers if n.replace(",", ".") not in own} == set(), student
        for other in set(by_student) - {student}:
            theirs = {t["output"] for t in results_of(root, other)["tests"]} - {t["output"] for t in result["tests"]}
            assert not any(squeeze(message) in visible for message in theirs), (student, other)
            if other in ("carla", "zoe_xss"):
                assert other not in text, (student, other)
    assert "zoe-no" not in "".join(text for s, text in by_student.items() if s != "zoe_xss")


def test_pages_without_gradebook_and_a_bad_results_file(pages, tmp_path):
    """Without --gradebook the page is the results file alone; an unreadable results file is reported and
    skipped, the others still written (exit 1)."""
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(pages[0] / "results" / "carla.json", results)
    (results / "rota.json").write_text('{"assignment": ')
    done = run(sys.executable, "-m", "autograder", "feedback", "--assignment", ASSIGNMENT, "--results",
               str(results), "--out", str(tmp_path / "out"), cwd=tmp_path, check=False)
    assert done.returncode == 1 and "rota.json: not a results file" in done.stderr
    assert [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.html")] == [
        f"carla/{ASSIGNMENT}.html"]
    result = json.loads((results / "carla.json").read_text())
    page = Page((tmp_path / "out" / "carla" / f"{ASSIGNMENT}.html").read_text()).visible
    assert f"Total: {result['score']:g} / {result['max_score']:g} puntos" in page
    assert "respuesta escrita" not in page and "Penalización" not in page
    missing = run(sys.executable, "-m", "autograder", "feedback", "--assignment", ASSIGNMENT, "--results",
                  str(results), "--out", str(tmp_path / "out"), "--gradebook", str(tmp_path / "no.db"),
                  cwd=tmp_path, check=False)
    assert missing.returncode == 2 and "no gradebook at" in missing.stderr and not (tmp_path / "no.db").exists()


def test_messages_are_cleaned_and_capped():
    """A message with terminal escapes and 5000 characters is shown without the escapes, capped."""
    result = {"assignment": ASSIGNMENT, "status": "graded", "score": 0.0, "max_score": 1.0,
              "tests": [{"name": "test_x", "score": 0.0, "max_score": 1.0, "status": "failed",
                         "output": "\x1b[31mrojo\x1b[0m\x07 " + "y" * 5000}]}
    cells = Page(feedback.render("s", result)).cells
    assert cells[-1].startswith("rojo y") and cells[-1].endswith("…") and len(cells[-1]) == feedback.MAX_MESSAGE


def test_nbgrader_generate_feedback_hides_hidden_tests(course):
    """nbgrader autograde + generate_feedback with the course's nbgrader_config.py: no hidden-test region, no
    traceback, the checks' messages kept; with nbgrader's default preprocessors the hidden source shows."""
    run("nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    shutil.copytree(REPO / "demo" / "submitted" / "carla" / ASSIGNMENT, course / "submitted" / "carla" / ASSIGNMENT)
    run("nbgrader", "autograde", ASSIGNMENT, "--force", cwd=course)
    page = course / "feedback" / "carla" / ASSIGNMENT / f"{ASSIGNMENT}.html"

    configured = (course / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(configured.split("c.GenerateFeedback.preprocessors")[0])
    run("nbgrader", "generate_feedback", ASSIGNMENT, "--force", cwd=course)
    stock = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    assert "BEGIN HIDDEN TESTS" in stock and 'check("01_regresion_lineal"' in stock  # the leak being fixed

    (course / "nbgrader_config.py").write_text(configured)
    run("nbgrader", "generate_feedback", ASSIGNMENT, "--force", cwd=course)
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    for marker in [*HIDDEN_MARKERS, "END HIDDEN TESTS", "Traceback (most recent call last)", "kernel.py"]:
        assert marker not in text, marker
    assert "✓ make_regression_data: correcto" in text  # a hidden check's message
    assert "AssertionError: mse_gradients: dW no coincide con autograd" in text  # a failed visible test's
    assert "X_ej, Y_ej, W_ej, b_ej = make_regression_data(500, 3, 2" in text  # visible tests stay
