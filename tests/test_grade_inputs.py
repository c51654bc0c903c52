"""The grade command refuses inputs that cannot be right before writing anything (exit 2, one sentence)."""
import json
import shutil

import pytest

from autograder.__main__ import main
from conftest import ASSIGNMENT, REPO

DEMO = REPO / "demo" / "submitted"


@pytest.fixture
def course(tmp_path):
    """A course root whose submitted/ holds ana's and beto's 01_regresion_lineal only."""
    for student in ("ana", "beto"):
        shutil.copytree(DEMO / student / ASSIGNMENT, tmp_path / "submitted" / student / ASSIGNMENT)
    return tmp_path


def files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def grade(course, *arguments, assignment=ASSIGNMENT):
    """Run ``grade`` in-process with results and gradebook inside ``course``; returns the exit code."""
    return main(["grade", "--assignment", assignment, "--results", str(course / "results"),
                 "--gradebook", str(course / "gradebook.db"), "--quiet", *map(str, arguments)])


def refused(course, capsys, *arguments, assignment=ASSIGNMENT):
    """The command's error sentence, asserting exit 2 and that nothing was written."""
    before = files(course)
    assert grade(course, *arguments, assignment=assignment) == 2
    assert files(course) == before
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1
    return error


def test_a_path_that_does_not_exist(course, capsys):
    assert "no such file or folder" in refused(course, capsys, course / "submited")


def test_no_student_has_the_assignment(course, capsys):
    error = refused(course, capsys, course / "submitted", assignment="02_xor")
    assert "none of the 2 student folders" in error and "holds 02_xor" in error
    assert "01_regresion_lineal (2)" in error and "--allow-empty" in error


def test_a_folder_that_holds_no_student_folders(course, capsys, tmp_path):
    (course / "elsewhere" / "notes").mkdir(parents=True)
    error = refused(course, capsys, course / "elsewhere")
    assert "holds 01_regresion_lineal" in error and "is this a submitted/ folder?" in error


@pytest.mark.parametrize("folder", ["source", f"source/{ASSIGNMENT}", "release"])
def test_course_folders_are_not_students(course, capsys, folder):
    shutil.copytree(REPO / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    shutil.copytree(REPO / "release" / ASSIGNMENT, course / "release" / ASSIGNMENT)
    assert "not a student's" in refused(course, capsys, course / folder)


def test_a_loose_notebook_needs_a_student_for_the_gradebook(course, capsys):
    loose = course / "descargas" / "entrega.ipynb"
    loose.parent.mkdir()
    shutil.copy(DEMO / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", loose)
    assert "--student" in refused(course, capsys, loose)
    assert "--student names the student of a single notebook" in refused(course, capsys, "--student", "ana",
                                                                         course / "submitted")
    assert grade(course, "--student", "ana", "--dry-run", loose) == 0
    assert f"  ana\t{loose}" in capsys.readouterr().out


def test_duedate_without_gradebook(course, capsys):
    before = files(course)
    assert main(["grade", "--assignment", ASSIGNMENT, "--results", str(course / "results"), "--duedate",
                 "2025-01-01 00:00:00", str(course / "submitted")]) == 2
    assert files(course) == before and "--duedate needs --gradebook" in capsys.readouterr().err


def test_dry_run_lists_and_writes_nothing(course, capsys):
    (course / "submitted" / "carla").mkdir()
    before = files(course)
    assert grade(course, "--dry-run", course) == 0
    assert files(course) == before
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{ASSIGNMENT}: 3 students"
    assert lines[1] == f"  ana\t{course / 'submitted' / 'ana' / ASSIGNMENT / ASSIGNMENT}.ipynb"
    assert lines[3].startswith("  carla\tmissing_submission: ")


def test_allow_empty_records_everyone_as_missing(course, capsys):
    assert main(["grade", "--assignment", "02_xor", "--results", str(course / "results"), "--quiet",
                 "--allow-empty", str(course / "submitted")]) == 0
    for student in ("ana", "beto"):
        result = json.loads((course / "results" / f"{student}.json").read_text())
        assert result["status"] == "missing_submission" and result["score"] == 0


def _link_notebook(course):
    """mallory's notebook is a link to ana's."""
    folder = course / "submitted" / "mallory" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").symlink_to(course / "submitted" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


def _link_folder(course):
    """mallory's submission folder is a link to ana's."""
    (course / "submitted" / "mallory").mkdir()
    (course / "submitted" / "mallory" / ASSIGNMENT).symlink_to(course / "submitted" / "ana" / ASSIGNMENT)


def _link_student(course):
    """mallory's student folder is a link to ana's."""
    (course / "submitted" / "mallory").symlink_to(course / "submitted" / "ana")


def _link_beside(course):
    """mallory's own notebook, with a link to ana's beside it."""
    folder = course / "submitted" / "mallory" / ASSIGNMENT
    shutil.copytree(course / "submitted" / "beto" / ASSIGNMENT, folder)
    (folder / "datos.csv").symlink_to(course / "submitted" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")


@pytest.mark.parametrize("plant", [_link_notebook, _link_folder, _link_student, _link_beside])
def test_a_submission_holding_links_is_invalid(course, plant):
    """Is a submission that is, or holds, a symbolic link invalid, with a Spanish message, and never graded?"""
    from autograder.course.batch import discover

    plant(course)
    found = {s.student: s for s in discover([course / "submitted"], ASSIGNMENT)}
    assert found["mallory"].notebook is None
    status, message = found["mallory"].problem
    assert status == "invalid_submission" and "enlaces simbólicos" in message
    assert found["ana"].problem is None and found["beto"].problem is None


def test_a_loose_notebook_that_is_a_link_is_invalid(course, tmp_path):
    """Is a notebook given on the command line that is a link graded as invalid, not as its target?"""
    link = tmp_path / "mallory.ipynb"
    link.symlink_to(course / "submitted" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert main(["grade", "--assignment", ASSIGNMENT, "--results", str(tmp_path / "mallory.json"), "--quiet",
                 str(link)]) == 0
    result = json.loads((tmp_path / "mallory.json").read_text())
    assert result["status"] == "invalid_submission" and "enlaces simbólicos" in result["output"]


def test_what_grading_writes_is_not_world_readable(course):
    """Are the results, the gradebook and the autograded notebooks readable by their owner and group only?"""
    import stat

    (course / "submitted" / "beto").rename(course / "beto-aside")  # one student is enough
    shutil.copy(REPO / "nbgrader_config.py", course)
    assert grade(course, course / "submitted") == 0
    written = [course / "results" / "ana.json", course / "gradebook.db",
               *(course / "autograded").rglob("*"), course / "results", course / "autograded"]
    assert course / "autograded" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb" in written
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode) & 0o007) for p in written} == \
        {str(p): "0o0" for p in written}
