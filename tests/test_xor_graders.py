"""Do the graders of 02_xor tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the notebook's setup and
data cells and the reference run first, then a mutant's cell redefines one
function, as a student's notebook would; each item goes through the same
probe → wire → judge path as a hidden test cell.
"""
import dataclasses
import inspect
import re
import warnings

import nbformat
import numpy as np
import pytest
import torch

from autograder import assignments, grading, kernel
from autograder.judges import xor as judges
from autograder.probes import xor as probes
from autograder.probing import preserved_global_rngs
from autograder.seeds import item_seed
from autograder.wire import describe
from harness import assert_mutant_caught, failures, stub_source
from harness import grade as grade_in
from harness import namespace
from mutants.xor import CALLERS, CORRECT_VARIANTS, ITEMS, MUTANTS, ZEROS
from solutions import xor as reference

ASSIGNMENT = "02_xor"
REFERENCE = inspect.getsource(reference)


def locked_cell(grade_id):
    master = nbformat.read(assignments.master_notebook(ASSIGNMENT), as_version=4)
    return next(c.source for c in master.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


SETUP = locked_cell("setup") + "\n" + locked_cell("xor_data")


def notebook(*sources):
    return namespace(SETUP, *sources)


def function_of(item):
    return assignments.check_name(item)


def grade(ns, directory):
    return grade_in(ASSIGNMENT, ns, directory)


def test_reference_gets_full_marks(tmp_path):
    """Does the reference get full marks on every item?"""
    scores = grade(notebook(REFERENCE), tmp_path)
    assert list(scores) == list(ITEMS)
    assert failures(scores) == {}
    assert all(message == f"{function_of(item)}: correcto" for item, (_, message) in scores.items())


def test_catalogue_covers_every_function():
    """Does every contract function have mistakes, a zeros mutant and a correct variant?"""
    functions = {function_of(item) for item in ITEMS}
    assert set(CALLERS) == functions
    assert {function_of(item) for m in MUTANTS.values() for item in m.fails} == functions
    assert {function_of(item) for m in ZEROS.values() for item in m.fails} == functions
    assert {name for name in functions if any(f"def {name}(" in s for s in CORRECT_VARIANTS.values())} == functions
    for mutant in (*MUTANTS.values(), *ZEROS.values()):
        assert mutant.fails and mutant.fails <= set(ITEMS) and mutant.may_fail <= set(ITEMS)
        re.compile(mutant.message)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_loses_its_item_and_only_it(name, tmp_path):
    """Does each known mistake lose its own item, with a message naming the function and the cause,
    and keep full marks everywhere else (the hidden checks use stand-ins for the other functions)?"""
    mutant = dataclasses.replace(MUTANTS[name], may_fail=frozenset())
    assert_mutant_caught(mutant, grade(notebook(REFERENCE, mutant.source), tmp_path))


@pytest.mark.parametrize("name", list(ZEROS))
def test_zeros_of_the_right_shape_fail(name, tmp_path):
    """Does a function that returns zeros of the right shape and type fail its item?"""
    mutant = dataclasses.replace(ZEROS[name], may_fail=frozenset())
    assert_mutant_caught(mutant, grade(notebook(REFERENCE, mutant.source), tmp_path))


@pytest.mark.parametrize("name", list(CORRECT_VARIANTS))
def test_correct_variant_gets_full_marks(name, tmp_path):
    """Does a correct implementation that differs from the reference keep full marks on every item?"""
    assert failures(grade(notebook(REFERENCE, CORRECT_VARIANTS[name]), tmp_path)) == {}


def test_stub_scores_zero_with_a_clear_message(tmp_path):
    """Does the release stub score 0 on every item, saying the function is not implemented?"""
    scores = grade(notebook(stub_source(REFERENCE)), tmp_path)
    for item, (score, message) in scores.items():
        assert score == 0, item
        assert message.startswith(function_of(item)) and "no implementado" in message, message


def test_missing_function_scores_zero(tmp_path):
    """Does a notebook whose answer cells were never run score 0 on every item, with a message?"""
    scores = grade(notebook(), tmp_path)
    assert all(score == 0 and "no está definida" in message for score, message in scores.values())


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
    data = grading.run_probe(ASSIGNMENT, "test_train_xor_numpy", notebook(REFERENCE), seed)["ok"]
    # Three identical hidden neurons stay identical under gradient descent: one neuron cannot learn XOR.
    stuck = {"W1": np.ones((2, 3)), "b1": np.zeros((1, 3)), "W2": np.ones((3, 1)), "b2": np.zeros((1, 1))}
    assert judges.replay(stuck, probes.NUMPY_LEARNING_LR, probes.NUMPY_EPOCHS, until_learned=True) is None
    final, losses = judges.replay(stuck, probes.NUMPY_LEARNING_LR, probes.NUMPY_EPOCHS)
    data["learn_start"] = describe((stuck, losses[:1]))
    data["learn"] = describe((final, losses))
    score, message = grading.judge(ASSIGNMENT, "test_train_xor_numpy", {"ok": data}, seed)
    assert score == 1, message


@pytest.mark.parametrize("item", ["test_train_xor_numpy", "test_train_xor_torch"])
def test_a_run_that_does_not_learn_fails(item):
    """When the learning run ends where it started, does the item fail saying it did not learn XOR?"""
    seed = item_seed(ASSIGNMENT, item)
    data = grading.run_probe(ASSIGNMENT, item, notebook(REFERENCE), seed)["ok"]
    if item == "test_train_xor_numpy":
        data["learn"]["items"][0] = data["learn_start"]["items"][0]
    else:
        data["learn"]["output"]["array"][:] = 0.5
    score, message = grading.judge(ASSIGNMENT, item, {"ok": data}, seed)
    assert score == 0 and message.startswith(function_of(item)) and "no aprende XOR" in message, message


def test_modified_data_costs_the_training_item():
    """Does a train_xor_numpy that changed XOR_X or XOR_Y lose its item, saying so?"""
    seed = item_seed(ASSIGNMENT, "test_train_xor_numpy")
    data = grading.run_probe(ASSIGNMENT, "test_train_xor_numpy", notebook(REFERENCE), seed)["ok"]
    data["data_intact"] = False
    score, message = grading.judge(ASSIGNMENT, "test_train_xor_numpy", {"ok": data}, seed)
    assert score == 0 and message.startswith("train_xor_numpy") and "XOR_X" in message, message


MALFORMED = {
    "dict_of_nonsense": {"weird": 1},
    "list_of_ints": [1, 2],
    "none": None,
    "string": "x",
    "list_of_dicts": [{"weird": 1}] * 4,
    "cases_not_a_list": {"cases": "abc", "default": {}, "reseeds": False, "steps": "abc", "learn": {}},
    "array_with_text": [{"s": {"kind": "ndarray", "type": "ndarray", "shape": [15], "dtype": "float64",
                               "array": "zz"}, "intact": True, "warnings": []}] * 4,
}


@pytest.mark.parametrize("payload", list(MALFORMED))
@pytest.mark.parametrize("item", ITEMS)
def test_judge_survives_malformed_data(item, payload):
    """Does a judge fed malformed probe data give 0 with a message instead of raising?"""
    score, message = grading.judge(ASSIGNMENT, item, {"ok": MALFORMED[payload]}, item_seed(ASSIGNMENT, item))
    assert score == 0 and message.startswith(function_of(item)), message


@pytest.mark.parametrize("item", ["test_sigmoid", "test_sigmoid_derivative", "test_xor_forward", "test_xor_backward"])
def test_judge_refuses_fewer_cases_than_its_inputs(item):
    """Does a judge give 0 when the probe data hold fewer cases than the hidden inputs it regenerates?"""
    seed = item_seed(ASSIGNMENT, item)
    data = grading.run_probe(ASSIGNMENT, item, notebook(REFERENCE), seed)["ok"]
    del data[1:]
    score, message = grading.judge(ASSIGNMENT, item, {"ok": data}, seed)
    assert score == 0, message


def test_reference_checks_write_nothing_to_stderr(capfd):
    """Do the hidden test cells, run in the kernel on the reference, print ✓ and leave stderr empty?"""
    ns = notebook(REFERENCE)
    for item in ITEMS:
        kernel.check(ASSIGNMENT, item, ns)
    out, err = capfd.readouterr()
    assert err == ""
    assert out.count("✓") == len(ITEMS)


def test_reference_raises_no_warnings_under_the_probes():
    """Does the reference run every probe without a single warning (which a notebook shows on stderr)?"""
    ns = notebook(REFERENCE)
    with warnings.catch_warnings(record=True) as caught, preserved_global_rngs():
        warnings.simplefilter("always")
        for item in ITEMS:
            getattr(probes, function_of(item))(ns, item_seed(ASSIGNMENT, item))
    assert [str(w.message) for w in caught] == []


def test_probes_leave_the_notebook_namespace_as_they_found_it():
    """After the checks, are the student's functions and data back in the namespace, untouched?"""
    ns = notebook(REFERENCE, CORRECT_VARIANTS["sigmoid_tanh"])
    before = dict(ns)
    for item in ITEMS:
        grading.run_probe(ASSIGNMENT, item, ns, item_seed(ASSIGNMENT, item))
    assert ns.keys() == before.keys() and all(ns[key] is before[key] for key in before)
