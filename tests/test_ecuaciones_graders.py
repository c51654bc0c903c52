"""Do the graders of 03_ecuaciones tell right from wrong, and say why?

Submissions are graded in-process with ``harness``: the reference runs
first, then a mutant's cell redefines one function (or the class), as a
student's notebook would; each item goes through the same probe → wire →
judge path as a hidden test cell.
"""
from functools import partial

import harness
from harness import failures
from mutants import ecuaciones as catalogue
from mutants.ecuaciones import ASSIGNMENT, REFERENCE

notebook = partial(harness.notebook, catalogue)
grade = partial(harness.grade, ASSIGNMENT)


def test_stub_forward_scores_zero(tmp_path):
    """Does a QuadraticSolver whose __init__ works but whose forward is still the stub score 0 on its item only?"""
    source = REFERENCE.replace("        return self.layers(coefs / 4)", "        raise NotImplementedError()")
    scores = grade(notebook(source), tmp_path)
    assert set(failures(scores)) == {"test_QuadraticSolver"}
    score, message = scores["test_QuadraticSolver"]
    assert message.startswith("QuadraticSolver") and "forward" in message and "todavía no está escrita" in message, message
