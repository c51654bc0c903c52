"""Do the graders of 05_perceptron tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the notebook's setup and
data cells and the reference run first, then a mutant's cell redefines one
function, as a student's notebook would; each item goes through the same
probe → wire → judge path as a hidden test cell.
"""
from functools import partial

import numpy as np
import pytest

import harness
from autograder.checks import dispatch
from autograder.checks.judging import CheckFailed
from autograder.checks.seeds import item_seed
from autograder.checks.wire import describe
from autograder.judges import perceptron as judges
from autograder.probes import perceptron as probes
from mutants import perceptron as catalogue
from mutants.perceptron import ASSIGNMENT, CORRECT_VARIANTS, ITEMS, MUTANTS, REFERENCE
from solutions import perceptron as reference

notebook = partial(harness.notebook, catalogue)
grade = partial(harness.grade, ASSIGNMENT)
TRAIN_SEED = item_seed(ASSIGNMENT, "test_train_perceptron")
# Data-set seeds a course secret may give: the default item seed's and the next ones.
DATA_SEEDS = range(TRAIN_SEED, TRAIN_SEED + 60)


def test_stand_ins_agree_with_the_reference():
    """Do the probes' stand-ins compute what solutions/perceptron.py computes, exact zeros included?"""
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1, (6, 5)) * (rng.random((6, 5)) > 0.3)
    assert np.array_equal(probes._step(z), reference.step(z))
    X, w = rng.integers(-2, 3, (9, 3)) * 1.0, rng.integers(-2, 3, 3) * 1.0
    assert np.array_equal(probes._perceptron_predict(X, w, 1.0), reference.perceptron_predict(X, w, 1.0))


def test_data_cell_is_the_probes_data():
    """Are the gates the probes use the notebook's locked data cell?"""
    ns = notebook()
    assert np.array_equal(ns["PUERTAS_X"], probes.PUERTAS_X) and np.array_equal(ns["Y_XOR"], probes.Y_XOR)
    assert all(np.array_equal(ns[f"Y_{gate}"], labels) for gate, labels in probes.GATES.items())


@pytest.mark.parametrize("dims", probes.SEPARABLE_DIMS)
def test_separable_data_sets_are_learned_early_by_the_reference(dims):
    """For every data-set seed, are both classes present and does the reference's own start reach an
    epoch without errors within a quarter of the epochs (the judge asks it of half)?"""
    for seed in DATA_SEEDS:
        X, y = probes.separable(seed, dims)
        assert X.shape == (probes.SEPARABLE_ROWS, dims) and 0 < y.sum() < len(y), seed
        start = reference.train_perceptron(X, y, lr=0.0, epochs=1, seed=seed)[0]
        assert judges.replay(X, y, start, judges.LR, judges.EPOCHS // 4) is not None, seed


@pytest.mark.parametrize("gate", probes.GATES)
def test_gates_are_learned_early_by_the_reference(gate):
    """From the reference's start for every seed, are AND and OR learned within half the epochs?"""
    labels = probes.GATES[gate]
    for seed in DATA_SEEDS:
        start = reference.train_perceptron(probes.PUERTAS_X, labels, lr=0.0, epochs=1, seed=seed)[0]
        assert judges.replay(probes.PUERTAS_X, labels, start, judges.LR, judges.EPOCHS // 2) is not None, seed


def test_learning_check_is_skipped_from_an_unlucky_start():
    """When the contract's recipe itself cannot learn from a student's start within half the epochs,
    is the student not failed for it, while from an ordinary start the same result is?"""
    X, y = probes.separable(TRAIN_SEED, 2)
    errors = [1] * judges.EPOCHS
    far = np.array([1e3, -1e3])  # a start the rule needs thousands of steps to turn round
    assert judges.replay(X, y, far, judges.LR, judges.EPOCHS // 2) is None
    judges.expect_learns("train_perceptron", X, y, far, far, 0.0, errors)
    start = reference.train_perceptron(X, y, lr=0.0, epochs=1, seed=TRAIN_SEED)[0]
    with pytest.raises(CheckFailed, match="no aprende"):
        judges.expect_learns("train_perceptron", X, y, start, far, 0.0, errors)


def test_a_wrong_rule_costs_the_training_too(tmp_path):
    """By the contract train_perceptron uses the student's perceptron_update: does a reversed error,
    whose calls chain correctly, lose the training item on learning AND?"""
    scores = grade(notebook(REFERENCE, MUTANTS["update_error_reversed"].source), tmp_path)
    score, message = scores["test_train_perceptron"]
    assert score == 0 and message.startswith("train_perceptron(PUERTAS_X, Y_AND)") and "no aprende" in message


def xor_learned(data):
    w, b, errors = reference.train_perceptron(probes.PUERTAS_X, probes.Y_XOR)
    data["xor"][0] = describe((w, b, errors[:-1] + [0]))


def inputs_modified(data):
    data["intact"] = False


@pytest.mark.parametrize("edit, message", [(xor_learned, "ninguna recta separa XOR"),
                                           (inputs_modified, "modificó X o y")])
def test_training_checks_no_mutant_reaches(edit, message):
    """The XOR and untouched-data checks, which no consistent mistake reaches: does the judge give 0
    with its message when the reference's probe data are edited to break them?"""
    data = dispatch.run_probe(ASSIGNMENT, "test_train_perceptron", notebook(REFERENCE), TRAIN_SEED)["ok"]
    edit(data)
    score, text = dispatch.judge(ASSIGNMENT, "test_train_perceptron", {"ok": data}, TRAIN_SEED)
    assert score == 0 and message in text, text


def test_update_cases_have_the_errors_they_name():
    """Do the hidden update cases give the prediction they were built for: error 0, +1 and −1, and a
    point exactly on the hyperplane?"""
    for i, (d, prediction, label, _) in enumerate(probes.UPDATE_CASES):
        case = probes.update_case(TRAIN_SEED + i, d, prediction)
        z = case["x"] @ case["w"] + case["b"]
        assert z == 0 if prediction is None else reference.step(z) == prediction
    errors = {label - (prediction or 0.0) for _, prediction, label, _ in probes.UPDATE_CASES}
    assert errors == {-1.0, 0.0, 1.0}


def test_probes_leave_the_notebook_namespace_as_they_found_it():
    """After the checks, are the student's functions and data back in the namespace, untouched?"""
    ns = notebook(REFERENCE, CORRECT_VARIANTS["step_heaviside"])
    before = dict(ns)
    for item in ITEMS:
        dispatch.run_probe(ASSIGNMENT, item, ns, item_seed(ASSIGNMENT, item))
    assert ns.keys() == before.keys() and all(ns[key] is before[key] for key in before)
