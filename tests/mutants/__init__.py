"""Known-wrong and correct-but-different submissions used to test the graders.

Each assignment's module builds its catalogue with one ``Catalogue`` over its
reference module and its ``CALLERS`` (the items whose reference code calls
each function, which a mistake there may also cost), and says how the graders'
generic tests (tests/test_graders.py) build its notebook: ``ASSIGNMENT``,
``SETUP`` (the notebook's setup cells, run before any answer), ``REFERENCE``
(its answers), ``MALFORMED`` (probe data shaped like its own, but wrong) and
``TRUNCATED`` ({item: a cut that drops part of the reference's probe data}).
Its ``ITEMS`` are the master notebook's graded cells (``harness.items``), and
``catalogues()`` finds every module here: adding an assignment lists it nowhere.
"""
import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    source: str
    fails: frozenset
    may_fail: frozenset
    message: str  # a regex that every message of a ``fails`` item must match


class Catalogue:
    """Mistakes made by editing ``reference``.

    With ``stand_ins`` the hidden checks replace every other contract function by a trusted
    one, so a mistake costs only its own items, never its callers'.
    """

    def __init__(self, reference, callers, stand_ins=False):
        self.reference, self.callers, self.stand_ins = reference, callers, stand_ins

    def edit(self, function, *replacements):
        """The reference source of ``function`` with each (old, new) text replaced once; old must occur once."""
        source = inspect.getsource(getattr(self.reference, function))
        for old, new in replacements:
            assert source.count(old) == 1, (function, old)
            source = source.replace(old, new)
        return source

    def mutant(self, function, source, message, also_fails=()):
        """A mistake in ``function`` (a full source or an ``edit``): it fails its own item, and may
        fail its callers'."""
        fails = frozenset({f"test_{function}", *also_fails})
        callers = frozenset() if self.stand_ins else frozenset(self.callers[function])
        return Mutant(textwrap.dedent(source), fails, callers - fails,
                      f"{function}.*(?:{message})" if message else function)


def fewer_cases(data):
    """Keep only the first case of probe data holding a list of cases (or a dict with one)."""
    for cases in (data, data.get("cases") if isinstance(data, dict) else None):
        if isinstance(cases, list):
            del cases[1:]


def catalogues():
    """{assignment: catalogue module} for every module of this package, sorted by assignment."""
    modules = [importlib.import_module(f"{__name__}.{module.name}") for module in pkgutil.iter_modules(__path__)]
    return {module.ASSIGNMENT: module for module in sorted(modules, key=lambda module: module.ASSIGNMENT)}
