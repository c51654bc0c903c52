"""Do the graders of 02_xor tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the notebook's setup and
data cells and the reference run first, then a mutant's cell redefines one
function, as a student's notebook would; each item goes through the same
probe → wire → judge path as a hidden test cell.
"""
from functools import partial

import numpy as np
import pytest
import torch

import harness
from autograder.checks import dispatch
from autograder.checks.seeds import item_seed
from autograder.checks.wire import describe
from autograder.judges import xor as judges
from autograder.probes import xor as probes
from mutants import xor as catalogue
from mutants.xor import ASSIGNMENT, CORRECT_VARIANTS, ITEMS, MUTANTS, REFERENCE
from solutions import xor as reference

notebook = partial(harness.notebook, catalogue)
grade = partial(harness.grade, ASSIGNMENT)


def test_sigmoid_warnings_count_whatever_the_notebook_set(tmp_path):
    """Is an overflowing sigmoid caught even after the notebook silenced NumPy with np.seterr?"""
    saved = np.geterr()
    try:
        np.seterr(all="ignore")
        scores = grade(notebook(REFERENCE, MUTANTS["sigmoid_overflows"].source), tmp_path)
    finally:
        np.seterr(**saved)
    assert scores["test_sigmoid"][0] == 0 and "overflow" in scores["test_sigmoid"][1]


def test_stand_ins_agree_with_the_reference():
    """Do the probes' stand-ins compute what solutions/xor.py computes?"""
    rng = np.random.default_rng(0)
    z = rng.normal(0, 300, (5, 4))
    assert np.array_equal(probes._sigmoid(z), reference.sigmoid(z))
    assert np.array_equal(probes._sigmoid_derivative(z), reference.sigmoid_derivative(z))
    case = probes.network(3, 6, 4, xor_rows=False)
    forward = [case[k] for k in ("X", "W1", "b1", "W2", "b2")]
    for got, expected in zip(probes._xor_forward(*forward), reference.xor_forward(*forward), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    A1, A2 = reference.xor_forward(*forward)
    for got, expected in zip(probes._xor_backward(case["X"], case["Y"], case["W2"], A1, A2),
                             reference.xor_backward(case["X"], case["Y"], case["W2"], A1, A2), strict=True):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("seed", probes.START_SEEDS)
def test_reference_learns_early_from_every_numpy_grader_seed(seed):
    """With each grader seed, does the reference's own start learn XOR well within the learning run?"""
    start, _ = reference.train_xor_numpy(hidden=3, lr=0.0, epochs=1, seed=seed)
    assert judges.replay(start, probes.NUMPY_LEARNING_LR, probes.NUMPY_EPOCHS // 4, until_learned=True) is not None


@pytest.mark.parametrize("seed", probes.TORCH_STARTS)
def test_reference_learns_early_from_every_torch_grader_start(seed):
    """From each grader start, does the reference learn XOR within half the learning run's budget?"""
    start = probes.torch_start(seed, 3, zero_biases=True, scale=probes.TORCH_START_SCALE)
    X, Y = probes.torch_data(0, 4, xor_rows=True)
    model = probes.torch_net(start)
    reference.train_xor_torch(model, X, Y, epochs=probes.TORCH_EPOCHS // 2)
    with torch.no_grad():
        assert judges.learned(model(X).double().numpy())[0]


def test_learning_check_is_skipped_from_an_unlucky_start():
    """When the contract's recipe itself cannot learn from a student's start, is the student not failed?"""
    seed = item_seed(ASSIGNMENT, "test_train_xor_numpy")
    data = dispatch.run_probe(ASSIGNMENT, "test_train_xor_numpy", notebook(REFERENCE), seed)["ok"]
    # Three identical hidden neurons stay identical under gradient descent: one neuron cannot learn XOR.
    stuck = {"W1": np.ones((2, 3)), "b1": np.zeros((1, 3)), "W2": np.ones((3, 1)), "b2": np.zeros((1, 1))}
    assert judges.replay(stuck, probes.NUMPY_LEARNING_LR, probes.NUMPY_EPOCHS, until_learned=True) is None
    final, losses = judges.replay(stuck, probes.NUMPY_LEARNING_LR, probes.NUMPY_EPOCHS)
    data["learn_start"] = describe((stuck, losses[:1]))
    data["learn"] = describe((final, losses))
    score, message = dispatch.judge(ASSIGNMENT, "test_train_xor_numpy", {"ok": data}, seed)
    assert score == 1, message


def test_probes_leave_the_notebook_namespace_as_they_found_it():
    """After the checks, are the student's functions and data back in the namespace, untouched?"""
    ns = notebook(REFERENCE, CORRECT_VARIANTS["sigmoid_tanh"])
    before = dict(ns)
    for item in ITEMS:
        dispatch.run_probe(ASSIGNMENT, item, ns, item_seed(ASSIGNMENT, item))
    assert ns.keys() == before.keys() and all(ns[key] is before[key] for key in before)
