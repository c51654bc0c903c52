"""Do the graders of every assignment tell right from wrong, and say why?

The tests every assignment shares, parametrized over the catalogues found in
``tests/mutants`` (one module per assignment, each item a graded cell of its
master notebook).  Submissions are graded in-process with ``harness``: the
notebook's setup cells and the reference run first, then a mutant's cell
redefines one function (or class), as a student's notebook would; each item
goes through the same probe → wire → judge path as a hidden test cell.  What
is particular to one assignment lives in ``tests/test_<name>_graders.py``.
"""
import re
import warnings

import pytest

from autograder import assignments, kernel
from autograder.checks import dispatch
from autograder.checks.probing import preserved_global_rngs
from autograder.checks.seeds import item_seed
from harness import assert_mutant_caught, failures
from harness import grade as grade_in
from harness import items
from harness import notebook as catalogue_notebook
from harness import stub_source
from mutants import catalogues

CATALOGUES = catalogues()

# Probe data of the wrong shape for any assignment; each catalogue adds its own.
MALFORMED = {"dict_of_nonsense": {"weird": 1}, "list_of_ints": [1, 2], "none": None, "string": "x"}


def cases(*attributes):
    """pytest params (assignment, name) over the named dicts of every catalogue."""
    return [pytest.param(a, name, id=f"{a}-{name}") for a, c in CATALOGUES.items()
            for attribute in attributes for name in getattr(c, attribute)]


def notebook(assignment, *sources):
    return catalogue_notebook(CATALOGUES[assignment], *sources)


def grade(assignment, *sources, directory):
    return grade_in(assignment, notebook(assignment, *sources), directory)


def function_of(item):
    return assignments.check_name(item)


@pytest.fixture(params=list(CATALOGUES))
def assignment(request):
    return request.param


def test_every_assignment_has_a_catalogue():
    """Does every assignment the package grades have its mutant catalogue, and no catalogue a stray one?"""
    assert list(CATALOGUES) == assignments.known()


def test_every_item_has_a_probe_and_a_judge(assignment):
    """Is every graded cell of the master notebook an item of the catalogue, with its probe and judge?"""
    assert CATALOGUES[assignment].ITEMS == tuple(items(assignment))
    for item in items(assignment):
        for module in (assignments.probes(assignment), assignments.judges(assignment)):
            assert callable(getattr(module, function_of(item), None)), f"{module.__name__} lacks {function_of(item)}"


def test_reference_gets_full_marks(assignment, tmp_path):
    """Does the reference get full marks on every item, with the message «correcto»?"""
    scores = grade(assignment, CATALOGUES[assignment].REFERENCE, directory=tmp_path)
    assert failures(scores) == {}
    assert all(message == f"{function_of(item)}: correcto" for item, (_, message) in scores.items())


def test_catalogue_covers_every_function(assignment):
    """Does every contract name have mistakes and a zeros mutant, each well formed?"""
    catalogue = CATALOGUES[assignment]
    functions = {function_of(item) for item in catalogue.ITEMS}
    assert set(catalogue.CALLERS) == functions
    assert {function_of(item) for m in catalogue.MUTANTS.values() for item in m.fails} == functions
    assert {function_of(item) for m in catalogue.ZEROS.values() for item in m.fails} == functions
    for mutant in (*catalogue.MUTANTS.values(), *catalogue.ZEROS.values()):
        assert mutant.fails and mutant.fails <= set(catalogue.ITEMS) and mutant.may_fail <= set(catalogue.ITEMS)
        re.compile(mutant.message)


@pytest.mark.parametrize("assignment, name", cases("MUTANTS", "ZEROS"))
def test_mutant_loses_its_items(assignment, name, tmp_path):
    """Does each known mistake, and each function that does no work (zeros of the right shape, an
    untrained model), lose its items with a message naming the function and the cause, and keep
    full marks on the items that do not call it?"""
    catalogue = CATALOGUES[assignment]
    mutant = {**catalogue.MUTANTS, **catalogue.ZEROS}[name]
    assert_mutant_caught(mutant, grade(assignment, catalogue.REFERENCE, mutant.source, directory=tmp_path))


@pytest.mark.parametrize("assignment, name", cases("CORRECT_VARIANTS"))
def test_correct_variant_gets_full_marks(assignment, name, tmp_path):
    """Does a correct implementation that differs from the reference keep full marks on every item?"""
    catalogue = CATALOGUES[assignment]
    scores = grade(assignment, catalogue.REFERENCE, catalogue.CORRECT_VARIANTS[name], directory=tmp_path)
    assert failures(scores) == {}


def test_stub_scores_zero_with_a_clear_message(assignment, tmp_path):
    """Does the release stub score 0 on every item, saying the function is not written yet?"""
    scores = grade(assignment, stub_source(CATALOGUES[assignment].REFERENCE), directory=tmp_path)
    for item, (score, message) in scores.items():
        assert score == 0, item
        assert message.startswith(function_of(item)) and "todavía no está escrita" in message, message


def test_missing_function_scores_zero(assignment, tmp_path):
    """Does a notebook whose answer cells were never run score 0 on every item, with a message?"""
    scores = grade(assignment, directory=tmp_path)
    assert all(score == 0 and "no está definida" in message for score, message in scores.values())


def malformed_cases():
    return [pytest.param(a, item, payload, id=f"{a}-{item}-{name}") for a, c in CATALOGUES.items()
            for item in c.ITEMS for name, payload in {**MALFORMED, **c.MALFORMED}.items()]


@pytest.mark.parametrize("assignment, item, payload", malformed_cases())
def test_judge_survives_malformed_data(assignment, item, payload):
    """Does a judge fed malformed probe data give 0 with a message instead of raising?"""
    score, message = dispatch.judge(assignment, item, {"ok": payload}, item_seed(assignment, item))
    assert score == 0 and message.startswith(function_of(item)), message


@pytest.mark.parametrize("result", [[1], "x", None, {}])
def test_judge_survives_a_malformed_result(assignment, result):
    """Does judge give 0 when the whole probe result, not just its data, is malformed?"""
    for item in CATALOGUES[assignment].ITEMS:
        score, message = dispatch.judge(assignment, item, result, 1)
        assert score == 0 and message.startswith(function_of(item)), message


def test_reference_checks_write_nothing_to_stderr(assignment, capfd):
    """Do the hidden test cells, run in the kernel on the reference, print ✓ and leave stderr empty?"""
    catalogue = CATALOGUES[assignment]
    ns = notebook(assignment, catalogue.REFERENCE)
    for item in catalogue.ITEMS:
        kernel.check(assignment, item, ns)
    out, err = capfd.readouterr()
    assert err == ""
    assert out.count("✓") == len(catalogue.ITEMS)


def test_reference_raises_no_warnings_under_the_probes(assignment):
    """Does the reference run every probe without a single warning (which a notebook shows on stderr)?"""
    catalogue = CATALOGUES[assignment]
    ns = notebook(assignment, catalogue.REFERENCE)
    probes = assignments.probes(assignment)
    with warnings.catch_warnings(record=True) as caught, preserved_global_rngs():
        warnings.simplefilter("always")
        for item in catalogue.ITEMS:
            getattr(probes, function_of(item))(ns, item_seed(assignment, item))
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("assignment, item", cases("TRUNCATED"))
def test_judge_refuses_truncated_data(assignment, item):
    """Does a judge give 0 when the probe data hold fewer cases, layers or steps than the hidden
    inputs it regenerates?"""
    catalogue = CATALOGUES[assignment]
    seed = item_seed(assignment, item)
    data = dispatch.run_probe(assignment, item, notebook(assignment, catalogue.REFERENCE), seed)["ok"]
    catalogue.TRUNCATED[item](data)
    score, message = dispatch.judge(assignment, item, {"ok": data}, seed)
    assert score == 0 and message.startswith(function_of(item)), message
