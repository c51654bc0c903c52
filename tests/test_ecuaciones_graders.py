"""Do the graders of 03_ecuaciones tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the reference runs
first, then a mutant's cell redefines one function (or the class), as a
student's notebook would; each item goes through the same probe → wire →
judge path as a hidden test cell.
"""
import inspect
import re
import warnings

import pytest

from autograder import assignments, grading, kernel
from autograder.probing import preserved_global_rngs
from autograder.seeds import item_seed
from harness import assert_mutant_caught, failures, stub_source
from harness import grade as grade_in
from harness import namespace as notebook
from mutants.ecuaciones import CALLERS, CORRECT_VARIANTS, ITEMS, MUTANTS, ZEROS
from solutions import ecuaciones as reference

ASSIGNMENT = "03_ecuaciones"
REFERENCE = inspect.getsource(reference)


def function_of(item):
    return assignments.check_name(item)


def grade(ns, directory):
    return grade_in(ASSIGNMENT, ns, directory)


def test_reference_gets_full_marks(tmp_path):
    """Does the reference get full marks on every item?"""
    scores = grade(notebook(REFERENCE), tmp_path)
    assert failures(scores) == {}
    assert all(message == f"{function_of(item)}: correcto" for item, (_, message) in scores.items())


def test_items_match_the_master_notebook():
    """Are the catalogue's items exactly the master notebook's graded cells, in order?"""
    from harness import items

    assert tuple(items(ASSIGNMENT)) == ITEMS


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
def test_zeros_of_the_right_shape_fail(name, tmp_path):
    """Does a function that returns zeros of the right shape and dtype (or trains nothing) fail its item?"""
    mutant = ZEROS[name]
    assert_mutant_caught(mutant, grade(notebook(REFERENCE, mutant.source), tmp_path))


@pytest.mark.parametrize("name", list(CORRECT_VARIANTS))
def test_correct_variant_gets_full_marks(name, tmp_path):
    """Does a correct implementation that differs from the reference keep full marks on every item?"""
    assert failures(grade(notebook(REFERENCE, CORRECT_VARIANTS[name]), tmp_path)) == {}


def test_stub_scores_zero_with_a_clear_message(tmp_path):
    """Does the release stub (class methods included) score 0 on every item, saying it is not implemented?"""
    scores = grade(notebook(stub_source(REFERENCE)), tmp_path)
    for item, (score, message) in scores.items():
        assert score == 0, item
        assert message.startswith(function_of(item)) and "no implementado" in message, message


def test_stub_forward_scores_zero(tmp_path):
    """Does a QuadraticSolver whose __init__ works but whose forward is still the stub score 0 on its item only?"""
    source = REFERENCE.replace("        return self.layers(coefs / 4)", "        raise NotImplementedError()")
    scores = grade(notebook(source), tmp_path)
    assert set(failures(scores)) == {"test_QuadraticSolver"}
    score, message = scores["test_QuadraticSolver"]
    assert message.startswith("QuadraticSolver") and "forward" in message and "no implementado" in message, message


def test_missing_function_scores_zero(tmp_path):
    """Does a notebook whose cells were never run score 0 on every item, with a message?"""
    scores = grade(notebook(), tmp_path)
    assert all(score == 0 and "no está definida" in message for score, message in scores.values())


MALFORMED = {
    "dict_of_nonsense": {"weird": 1},
    "list_of_ints": [1, 2],
    "none": None,
    "string": "x",
    "list_of_dicts": [{"weird": 1}] * 3,
    "cases_not_a_list": {"cases": "abc", "events": [1, 2], "swapped": {}, "trained": {}},
    "tensor_with_text": {"cases": [{"roots": {"kind": "tensor", "type": "Tensor", "shape": [108, 2],
                                              "dtype": "float32", "device": "cpu", "array": "zz",
                                              "requires_grad": False}, "intact": True}] * 2,
                         "events": [1, 1]},
    "forwards_not_records": {key: {"losses": {"kind": "list", "type": "list", "length": 3,
                                              "items": [{"kind": "float", "type": "float", "value": 1.0}] * 3},
                                   "intact": True, "final": {"kind": "none"}, "forwards": [1, 2]}
                             for key in ("steps", "again", "other", "one_batch", "a", "b", "c", "small", "one")},
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
    score, message = grading.judge(ASSIGNMENT, "test_quadratic_roots", result, 1)
    assert score == 0 and message.startswith("quadratic_roots"), message


@pytest.mark.parametrize("item", ["test_quadratic_roots", "test_QuadraticSolver"])
def test_judge_refuses_fewer_cases_than_its_inputs(item):
    """Does a judge give 0 when the probe data hold fewer cases than the hidden inputs it regenerates?"""
    seed = item_seed(ASSIGNMENT, item)
    data = grading.run_probe(ASSIGNMENT, item, notebook(REFERENCE), seed)["ok"]
    for cases in (data, data.get("cases") if isinstance(data, dict) else None):
        if isinstance(cases, list):
            del cases[1:]
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
    probes = assignments.probes(ASSIGNMENT)
    with warnings.catch_warnings(record=True) as caught, preserved_global_rngs():
        warnings.simplefilter("always")
        for item in ITEMS:
            getattr(probes, function_of(item))(ns, item_seed(ASSIGNMENT, item))
    assert [str(w.message) for w in caught] == []
