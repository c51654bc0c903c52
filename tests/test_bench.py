"""The benchmark script runs end to end on a tiny class (its numbers are read by people, not tests)."""
import sys

import pytest

from conftest import ASSIGNMENT, REPO, run

pytestmark = pytest.mark.slow


def test_benchmark_runs_and_both_graders_agree(tmp_path):
    """Does bench/grade_class.py grade two students both ways and find the same scores?"""
    done = run(sys.executable, str(REPO / "bench" / "grade_class.py"), "--students", "2", "--repeats", "1",
               "--jobs", "1", "--assignments", ASSIGNMENT, cwd=tmp_path)
    rows = [line for line in done.stdout.splitlines() if ASSIGNMENT in line or "one command" in line]
    assert len(rows) == 2 and all(row.rstrip(" │").endswith("yes") for row in rows), done.stdout
    assert "scores differ" not in done.stdout
    assert "fixed cost of a stub submission inside a batch:" in done.stdout
    assert "one student's 1 assignments, graded from a cold start:" in done.stdout
