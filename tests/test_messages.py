"""What a student reads when their code fails outside a check's verdict: Spanish, the function named once."""
import pytest

from autograder import assignments
from autograder.checks import messages
from autograder.course import batch, feedback
from autograder.engine import notebook, runner
from conftest import ASSIGNMENT, submission
from solutions import regresion_lineal


def test_a_stub_says_it_is_not_written_yet():
    assert messages.raised("sigmoid", "NotImplementedError") == messages.not_written("sigmoid")
    assert messages.not_written("sigmoid").count("sigmoid") == 1
    assert "todavía no está escrita" in messages.not_written("sigmoid")


@pytest.mark.parametrize("kind", sorted(messages.EXCEPTIONS))
def test_a_known_exception_is_explained(kind):
    text = messages.raised("mse_loss", kind, "detalle")
    assert text == f"mse_loss lanzó {kind} ({messages.EXCEPTIONS[kind]}): detalle"


def test_an_unknown_exception_keeps_its_name_and_text():
    assert messages.raised("f", "OSError", "disco") == "f lanzó OSError: disco"
    assert messages.raised("f", "OSError") == "f lanzó OSError"


@pytest.mark.parametrize("text, meaning", [("overflow encountered in exp", "no cabe"),
                                           ("invalid value encountered in log", "NaN"),
                                           ("divide by zero encountered in divide", "infinito")])
def test_numpy_warnings_are_explained(text, meaning):
    clause = messages.warned([f"RuntimeWarning: {text}", f"RuntimeWarning: {text}"])
    assert clause.count(text) == 1 and meaning in clause
    assert meaning in messages.raised("sigmoid", "RuntimeWarning", text)  # a warning turned into an error


def test_at_most_three_warnings_are_named():
    assert messages.warned([f"UserWarning: {i}" for i in range(5)]).count("«") == messages.MAX_WARNINGS
    assert messages.warned([]) == ""


@pytest.mark.parametrize("error, expected", [
    ("AssertionError: sigmoid: debe devolver un numpy.ndarray", "prueba visible: sigmoid: debe devolver un numpy.ndarray"),
    ("AssertionError: la forma no coincide", "sigmoid, prueba visible: la forma no coincide"),
    ("AssertionError: ", "sigmoid: no se cumplió una comprobación de la prueba visible"),
    ("NotImplementedError: ", messages.not_written("sigmoid")),
    ("NameError: name 'np' is not defined",
     f"prueba visible: sigmoid lanzó NameError ({messages.EXCEPTIONS['NameError']}): name 'np' is not defined"),
])
def test_a_failed_visible_test_names_the_function_once(error, expected):
    assert runner._visible_test_failed("sigmoid", error) == expected
    assert "AssertionError" not in expected


def test_a_grader_failure_is_spanish_for_the_student_and_english_for_the_instructor(monkeypatch, tmp_path):
    def broken(*args):
        raise KeyError("plan")

    monkeypatch.setattr(runner, "score_notebook", broken)
    items = notebook.items(notebook.read_master(assignments.master_notebook(ASSIGNMENT)))
    student = batch.Submission("ana", tmp_path, tmp_path / "x.ipynb")
    result = batch.grade_submission(student, ASSIGNMENT, assignments.SOURCE, runner.Limits(), items, {})
    assert result["status"] == "error" and result["output"] == messages.GRADER_FAILED
    assert {t["output"] for t in result["tests"]} == {messages.GRADER_FAILED}
    assert result["diagnosis"] == "the grader raised KeyError: 'plan'"
    page = feedback.render("ana", result)
    assert "falló el calificador, no tu entrega" in page and "KeyError" not in page and "grader" not in page


def test_warnings_of_the_students_code_reach_the_message(tmp_path):
    """Graded in the sandbox: a correct mse_loss that overflows on the way, and a stub linear_forward."""
    import inspect

    loss = inspect.getsource(regresion_lineal.mse_loss).replace(
        "    return", "    np.exp(np.float64(1000))  # desborda\n    return", 1)
    answers = {name: inspect.getsource(getattr(regresion_lineal, name))
               for name in ("make_regression_data", "mse_gradients")}
    path = submission(tmp_path / "nb.ipynb", {**answers, "mse_loss": "import numpy as np\n" + loss})
    result = runner.score_notebook(ASSIGNMENT, path)
    outputs = {t["name"]: t["output"] for t in result["tests"]}
    assert outputs["test_mse_loss"].startswith("mse_loss: correcto; tu código emitió el aviso "
                                               "«RuntimeWarning: overflow encountered in exp» (un resultado no cabe")
    assert outputs["test_linear_forward"] == messages.not_written("linear_forward")
    assert "aviso" not in outputs["test_make_regression_data"]
