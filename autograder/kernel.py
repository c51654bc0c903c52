"""The way in through ``nbgrader autograde``: a check run inside the student's kernel.

A hidden test cell holds only::

    from autograder.kernel import check
    check("01_regresion_lineal", "test_linear_forward", globals())

The probe and the judge run here, in the student's process (stock nbgrader's
model); the data still goes through the same encode/decode as in the
package's sandboxed path, so both ways judge the same bytes.
"""
import tempfile

from autograder.checks import dispatch, wire
from autograder.checks.judging import CheckFailed
from autograder.checks.seeds import item_seed


def check(assignment, item, namespace):
    """Pass silently (printing ✓) or raise ``CheckFailed`` with the Spanish message."""
    try:
        seed = item_seed(assignment, item)
        result = dispatch.run_probe(assignment, item, namespace, seed)
        with tempfile.TemporaryDirectory() as directory:
            result = wire.roundtrip(result, directory)
        score, message = dispatch.judge(assignment, item, result, seed)
    except Exception as exc:  # a grader bug must not show grader source in feedback
        raise CheckFailed(f"{item}: error interno del corrector ({type(exc).__name__}); avisa al profesor") from None
    if score < 1:
        raise CheckFailed(message)
    print(f"✓ {message}")
