"""The threat catalogue (docs/attacks.md): run every row's test, print ``tried / handled / lost``.

    .venv/bin/python tests/catalog.py [pytest options]

Runs tests/test_attacks.py and tests/test_batch.py with a plugin that maps
each test to the rows its name or parameter id names (``A1`` … ``L4``).  A
row is *tried* when one of its tests ran (a skipped test, with its reason,
does not count), *handled* when every test of it that ran passed; *lost*
adds up the grade records the tests report losing
(``record_property("lost", n)``).  Exits 0 when every tried row is handled
and nothing is lost.
"""
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

# Rows per section of docs/attacks.md.
SECTIONS = {"A": 8, "B": 8, "C": 10, "D": 7, "E": 6, "F": 8, "G": 9, "H": 11, "I": 6, "J": 4, "K": 11, "L": 4}
ROW = re.compile(r"(?<![A-Za-z0-9])([A-L])(\d{1,2})(?![0-9])")
FILES = ["tests/test_attacks.py", "tests/test_batch.py"]


def rows_named(test_name):
    return [f"{section}{number}" for section, number in ROW.findall(test_name) if int(number) <= SECTIONS[section]]


class Catalogue:
    """A pytest plugin: each test's outcome (failed > skipped > passed) and the records it lost."""

    def __init__(self):
        self.outcome, self.reason, self.lost = {}, {}, defaultdict(int)

    def pytest_runtest_logreport(self, report):
        test = report.nodeid
        if not rows_named(test.split("::")[-1]):
            return
        rank = {"passed": 0, "skipped": 1, "failed": 2}
        if rank[report.outcome] >= rank[self.outcome.get(test, "passed")]:
            self.outcome[test] = report.outcome
        if report.skipped and isinstance(report.longrepr, tuple):
            self.reason[test] = report.longrepr[2].removeprefix("Skipped: ")
        if report.when == "call":  # teardown's report repeats the properties
            self.lost[test] += sum(value for name, value in report.user_properties if name == "lost")

    def summary(self):
        tests = defaultdict(list)
        for test in self.outcome:
            for row in rows_named(test.split("::")[-1]):
                tests[row].append(test)
        every = [f"{section}{n}" for section, count in SECTIONS.items() for n in range(1, count + 1)]
        ran = {row: [t for t in tests[row] if self.outcome[t] != "skipped"] for row in every}
        tried = [row for row in every if ran[row]]
        handled = [row for row in tried if all(self.outcome[t] == "passed" for t in ran[row])]
        lost = sum(self.lost.values())
        lines = [f"docs/attacks.md: {len(every)} rows, {len(self.outcome)} tests",
                 f"tried / handled / lost: {len(tried)} / {len(handled)} / {lost}"]
        for row in every:
            if row not in tried:
                reasons = sorted({self.reason.get(t, "skipped") for t in tests[row]}) or ["no test"]
                lines.append(f"  not tried  {row:4} {'; '.join(reasons)}")
        for row in tried:
            if row not in handled:
                lines.append(f"  NOT HANDLED {row:4} {', '.join(t for t in ran[row] if self.outcome[t] != 'passed')}")
        return "\n".join(lines), len(tried) == len(handled) and lost == 0


def main(argv):
    os.chdir(Path(__file__).resolve().parent.parent)
    catalogue = Catalogue()
    pytest.main(["-q", "-p", "no:cacheprovider", *FILES, *argv], plugins=[catalogue])
    text, ok = catalogue.summary()
    print(f"\n{text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
