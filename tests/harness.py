"""Grade Python sources in-process, as notebook cells, through probe → wire → judge.

Shared by every assignment's grader tests: a submission is a namespace in
which the reference runs first and a mutant's cell then redefines one
function, as in a student's notebook.  Cells are compiled under a name
registered in ``linecache``, as IPython does, so graders can read sources.
"""
import ast
import hashlib
import linecache
import re

import torch

from autograder import assignments
from autograder.checks import dispatch, wire
from autograder.checks.judging import MAX_MESSAGE
from autograder.checks.seeds import item_seed
from autograder.engine import notebook as nb


def items(assignment):
    """The grade_ids of the master notebook's graded cells, in order."""
    return [item.grade_id for item in nb.items(nb.read_master(assignments.master_notebook(assignment)))]


def master_cell(assignment, grade_id):
    """The source of the master notebook's cell ``grade_id``."""
    master = nb.read_master(assignments.master_notebook(assignment))
    return next(c.source for c in master.cells if nb.nbgrader_meta(c).get("grade_id") == grade_id)


def stub_source(reference_source):
    """The reference with every function body replaced by its docstring and ``raise NotImplementedError()``."""
    tree = ast.parse(reference_source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            docstring = node.body[:1] if ast.get_docstring(node) else []
            node.body = docstring + [ast.parse("raise NotImplementedError()").body[0]]
    return ast.unparse(tree)


def cell(ns, source):
    """Run ``source`` in ``ns`` as a notebook cell: its functions' source stays readable."""
    filename = f"<celda {hashlib.sha1(source.encode()).hexdigest()[:12]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)


def namespace(*sources):
    ns = {"__name__": "__main__"}
    for source in sources:
        cell(ns, source)
    return ns


def notebook(catalogue, *sources):
    """A notebook namespace: the catalogue's ``SETUP`` cells, then ``sources`` run as cells."""
    return namespace(catalogue.SETUP, *sources)


def grade(assignment, ns, directory):
    """{item: (score, message)} for every item of ``assignment``, through probe → wire → judge."""
    scores = {}
    with single_thread():
        for item in items(assignment):
            seed = item_seed(assignment, item)
            result = wire.roundtrip(dispatch.run_probe(assignment, item, ns, seed), directory)
            scores[item] = dispatch.judge(assignment, item, result, seed)
    assert_clean(scores)
    return scores


class single_thread:
    """Grade with one torch thread: inputs are tiny, and on a busy 2-core runner
    OpenMP's spinning threads made grading 5× slower."""

    def __enter__(self):
        self.threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.threads)


def assert_clean(scores):
    """Messages are short and print no tensor or array (no reference values for hidden inputs)."""
    for item, (score, message) in scores.items():
        assert isinstance(message, str) and message, item
        assert len(message) <= MAX_MESSAGE, f"{item}: message of {len(message)} characters: {message}"
        assert "tensor(" not in message and "array(" not in message, f"{item}: {message}"


def failures(scores):
    return {item: message for item, (score, message) in scores.items() if score != 1}


def assert_mutant_caught(mutant, scores):
    """``mutant.fails`` score 0 naming the function and matching ``mutant.message``; items
    outside ``fails | may_fail`` keep full marks."""
    for item in sorted(mutant.fails):
        score, message = scores[item]
        assert score == 0, f"{item} should fail, got {score}: {message}"
        assert assignments.check_name(item) in message, message
        assert re.search(mutant.message, message), f"{item}: {message!r} does not match {mutant.message!r}"
    for item in sorted(set(scores) - mutant.fails - mutant.may_fail):
        assert scores[item][0] == 1, f"{item} should keep full marks: {scores[item][1]}"
