"""``python -m autograder new`` and the recipe of docs/extending.md, run on a copy of the repository.

Commands run in the copy with ``PYTHONPATH`` set to it, so they import the copy's
``autograder``, ``solutions`` and tests, not the editable install's checkout.
"""
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import ENV, REPO

COPIED = ("autograder", "solutions", "source", "release", "tests", "demo", "nbgrader_config.py", "Makefile",
          "pyproject.toml")
NEW = "09_prueba"
FACTORS = {"doble": 2, "triple": 3}  # the trivial assignment: f(x) = factor · x

PROBE = '''import numpy as np

from autograder.checks.probing import call
from autograder.checks.wire import describe


def inputs(seed):
    return np.random.default_rng(seed).normal(size=(4, 3))


def doble(ns, seed):
    return {"out": describe(call(ns, "doble", inputs(seed)))}


def triple(ns, seed):
    return {"out": describe(call(ns, "triple", inputs(seed)))}
'''
JUDGE = '''from autograder.checks.judging import TOLERANCE, expect_array, expect_close
from autograder.probes.prueba import inputs
from solutions import prueba as reference


def doble(data, seed):
    x = inputs(seed)
    expect_close(expect_array(data["out"], "doble", x.shape), reference.doble(x), "doble", TOLERANCE["float64"])


def triple(data, seed):
    x = inputs(seed)
    expect_close(expect_array(data["out"], "triple", x.shape), reference.triple(x), "triple", TOLERANCE["float64"])
'''
CATALOGUE = '''
MUTANTS = {f"{name}_wrong_factor": mutant(name, f"def {name}(x):\\n    return 5 * x\\n", "error máximo")
           for name in CALLERS}
ZEROS = {f"zeros_{name}": mutant(name, f"def {name}(x):\\n    return x * 0\\n", "") for name in CALLERS}
'''
# The quick self-check (make selfcheck) of the new assignment, and the tests that must have run in it.
SELFCHECK = ("-m", "pytest", "-m", "not slow", "-v", "-p", "no:cacheprovider", "tests/test_release.py",
             "tests/test_solutions_sync.py", "tests/test_graders.py", "-k", NEW)
MUST_PASS = ("test_release_regenerates_without_drift", "test_solution_cells_match_solutions_module",
             "test_every_item_has_a_probe_and_a_judge", "test_reference_gets_full_marks",
             "test_catalogue_covers_every_function", "test_stub_scores_zero_with_a_clear_message",
             "test_missing_function_scores_zero", "test_mutant_loses_its_items", "test_judge_survives_malformed_data")


def copy_repository(root):
    """``root`` holding what the quick self-check needs of the repository."""
    for name in COPIED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy(REPO / name, root)
    return root


def in_copy(root, *args):
    """Run ``args`` in the copy ``root``, importing the copy's packages first; the CompletedProcess."""
    return subprocess.run(args, cwd=root, env={**ENV, "PYTHONPATH": str(root)}, capture_output=True, text=True)


def new(root, *args):
    return in_copy(root, sys.executable, "-m", "autograder", "new", *args)


def files(root):
    return sorted(path for path in root.rglob("*") if "__pycache__" not in path.parts)


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    return copy_repository(tmp_path_factory.mktemp("repository"))


@pytest.mark.parametrize("args, reason", [
    pytest.param(["9_prueba", "--functions", "f"], "is not NN_name", id="one-digit"),
    pytest.param(["09-prueba", "--functions", "f"], "is not NN_name", id="dash"),
    pytest.param(["09_Prueba", "--functions", "f"], "is not NN_name", id="uppercase"),
    pytest.param(["09_class", "--functions", "f"], "is not NN_name", id="keyword"),
    pytest.param(["09_prueba", "--functions", "check"], "is not a usable function name", id="bound-function"),
    pytest.param(["09_prueba", "--functions", "2x"], "is not a usable function name", id="not-identifier"),
    pytest.param(["09_prueba", "--functions", "f", "f"], "only once", id="repeated-function"),
    pytest.param(["09_prueba", "--functions", "f", "g", "--points", "1"], "one positive number per function",
                 id="points-count"),
    pytest.param(["02_otra", "--functions", "f"], "already taken by source/02_xor", id="number-taken"),
    pytest.param(["07_xor", "--functions", "f"], "autograder/probes/xor.py already exists", id="module-taken"),
])
def test_new_refuses_before_writing_anything(repository, args, reason):
    """Does ``new`` refuse a malformed name or function, or a taken assignment, with exit 2 and one sentence,
    writing nothing?"""
    before = files(repository)
    refused = new(repository, *args)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stderr.startswith("error: ") and reason in refused.stderr and refused.stderr.count("\n") == 1
    assert files(repository) == before


@pytest.mark.slow
def test_scaffold_then_recipe_passes_the_quick_selfcheck(tmp_path):
    """Scaffolded, is the assignment at once gradable (0, saying the grader is not ready); filled in with a
    trivial solution, probe, judge and mutants and released, does it pass the quick self-check?"""
    root = copy_repository(tmp_path)
    created = new(root, NEW, "--functions", *FACTORS, "--points", "1", "2")
    assert created.returncode == 0, created.stderr
    assert (root / "demo" / "submitted" / "ana" / NEW / f"{NEW}.ipynb").exists()
    assert_gradable_and_not_ready(root)

    fill_in(root)
    released = in_copy(root, "nbgrader", "generate_assignment", NEW, "--force")
    assert released.returncode == 0, released.stderr
    for student in (root / "demo" / "submitted").iterdir():  # the student's notebook, as nbgrader releases it
        demo = student / NEW / f"{NEW}.ipynb"
        assert demo.read_text() == (root / "release" / NEW / f"{NEW}.ipynb").read_text(), demo
    selfcheck = in_copy(root, sys.executable, *SELFCHECK)
    assert selfcheck.returncode == 0, selfcheck.stdout[-3000:] + selfcheck.stderr[-3000:]
    for test in MUST_PASS:
        assert f"{test}[{NEW}" in selfcheck.stdout, f"{test} did not run on {NEW}"


def assert_gradable_and_not_ready(root):
    """Each scaffolded item grades to 0: "not defined" without the function, "not ready" with one."""
    script = ("import json; from autograder.checks import dispatch\n"
              f"print(json.dumps([dispatch.judge('{NEW}', 'test_doble', dispatch.run_probe('{NEW}', 'test_doble', "
              "ns, 1), 1) for ns in ({}, {'doble': lambda x: 2 * x})]))")
    graded = in_copy(root, sys.executable, "-c", script)
    assert graded.returncode == 0, graded.stderr
    (missing, missing_message), (written, written_message) = json.loads(graded.stdout)
    assert missing == written == 0
    assert missing_message.startswith("doble: no está definida")
    assert written_message.startswith("doble: su corrección automática todavía no está preparada")


def fill_in(root):
    """The recipe's writing steps, trivially: solution cells and solutions/, probes, judges, mutants."""
    master_path = root / "source" / NEW / f"{NEW}.ipynb"
    master = nbformat.read(master_path, as_version=4)
    for cell in master.cells:
        function = cell.metadata.get("nbgrader", {}).get("grade_id", "").removeprefix("sol_")
        if function in FACTORS:
            cell.source = cell.source.replace("raise NotImplementedError()", f"return {FACTORS[function]} * x")
    nbformat.write(master, master_path)
    solutions = root / "solutions" / "prueba.py"
    text = solutions.read_text()
    for factor in FACTORS.values():
        text = text.replace("raise NotImplementedError()", f"return {factor} * x", 1)
    solutions.write_text(text)
    (root / "autograder" / "probes" / "prueba.py").write_text(PROBE)
    (root / "autograder" / "judges" / "prueba.py").write_text(JUDGE)
    with open(root / "tests" / "mutants" / "prueba.py", "a") as catalogue:
        catalogue.write(CATALOGUE)
