"""The assignments this package grades and where their parts live."""
import importlib
from pathlib import Path

# assignment → module name shared by its probes, judges and reference solution.
ASSIGNMENTS = {"01_regresion_lineal": "regresion_lineal"}
REPO = Path(__file__).resolve().parent.parent


def module_name(assignment):
    try:
        return ASSIGNMENTS[assignment]
    except KeyError:
        raise SystemExit(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}") from None


def probes(assignment):
    return importlib.import_module(f"autograder.probes.{module_name(assignment)}")


def judges(assignment):
    return importlib.import_module(f"autograder.judges.{module_name(assignment)}")


def master_notebook(assignment, source=REPO / "source"):
    """The master notebook: its grade cells hold the points and the visible tests."""
    return Path(source) / assignment / f"{assignment}.ipynb"


def check_name(item):
    """The probe/judge function of a graded item: its grade_id without ``test_``."""
    return item.removeprefix("test_")
