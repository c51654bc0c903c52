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


def test_scale_curve_runs_and_draws(tmp_path):
    """Does bench/scale.py grade two tiny classes both ways, agree, print the slope and draw the PNG?"""
    plot = tmp_path / "scale.png"
    done = run(sys.executable, str(REPO / "bench" / "scale.py"), "--sizes", "1", "2", "--stock-up-to", "1",
               "--jobs", "1", "--assignments", ASSIGNMENT, "--plot", str(plot), cwd=tmp_path)
    assert "package slope:" in done.stdout and "scores differ" not in done.stdout, done.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
