"""Known-wrong and correct-but-different submissions used to test the graders.

Each assignment's module builds its catalogue with one ``Catalogue`` over its
reference module and its ``CALLERS`` (the items whose reference code calls
each function, which a mistake there may also cost).
"""
import inspect
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    source: str
    fails: frozenset
    may_fail: frozenset
    message: str  # a regex that every message of a ``fails`` item must match


class Catalogue:
    def __init__(self, reference, callers):
        self.reference, self.callers = reference, callers

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
        return Mutant(textwrap.dedent(source), fails, frozenset(self.callers[function]) - fails,
                      f"{function}.*(?:{message})" if message else function)
