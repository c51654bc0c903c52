"""The assignments this package grades and where their parts live.

An assignment ``NN_name`` (a folder ``source/NN_name/``) has its probes in
``autograder/probes/name.py``, its judges in ``autograder/judges/name.py``
and its reference in ``solutions/name.py``: adding one touches no registry.
"""
import importlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source"


def known(source=SOURCE):
    """The assignments in ``source`` that have probes, sorted."""
    folders = Path(source).iterdir() if Path(source).is_dir() else []
    return sorted(f.name for f in folders if (Path(__file__).parent / "probes" / f"{module_name(f.name)}.py").exists())


def module_name(assignment):
    """``01_regresion_lineal`` → ``regresion_lineal``: the name its modules share."""
    return assignment.split("_", 1)[-1]


def probes(assignment):
    return importlib.import_module(f"autograder.probes.{module_name(assignment)}")


def judges(assignment):
    return importlib.import_module(f"autograder.judges.{module_name(assignment)}")


def master_notebook(assignment, source=SOURCE):
    """The master notebook: its grade cells hold the points and the visible tests."""
    return Path(source) / assignment / f"{assignment}.ipynb"


def check_name(item):
    """The probe/judge function of a graded item: its grade_id without ``test_``."""
    return item.removeprefix("test_")
