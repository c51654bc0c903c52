"""The in-kernel way in: a failed check shows only its Spanish message."""
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

CELL = """
from autograder.kernel import check
def linear_forward(X, W, b):
    return X @ W  # forgets the bias
check("01_regresion_lineal", "test_linear_forward", globals())
"""


def test_failed_check_renders_only_its_message():
    """Does a failing hidden check show its message, with no traceback, grader source or reference values?"""
    shell = InteractiveShell.instance()
    with capture_output() as captured:
        result = shell.run_cell(CELL)
    assert type(result.error_in_exec).__name__ == "CheckFailed"
    shown = captured.stdout + captured.stderr
    assert "linear_forward" in shown and "tolerancia" in shown
    for leak in ("Traceback", "File ", "judges", "solutions", "tensor(", "array("):
        assert leak not in shown, leak
