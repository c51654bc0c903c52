"""The trusted side: run a submission's plan in a child process and judge it.

The child (``autograder.worker``) runs student code; this process never
imports it.  Each step has a wall-clock timeout; a hung or crashed step is
recorded, the child's whole process group is killed, and a new child resumes
from the start with that step skipped, so one bad cell costs only itself.
"""
import functools
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import assignments, grading, notebook, sandbox, wire
from autograder.seeds import item_seed

MAX_OUTPUT = 2000


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0       # seconds per student or setup cell, as c.Execute.timeout
    check_timeout: float = 30.0       # seconds per test cell (visible tests + probe); ≥10× the reference
    submission_timeout: float = 600.0  # seconds for the whole notebook, restarts included
    memory_bytes: int = 6 * 2**30     # address space: torch alone maps about 1.5 GiB
    file_bytes: int = 256 * 2**20
    open_files: int = 256
    processes: int = 256              # per uid, threads included; enforced only for non-root uids


def _limit(limits):
    def apply():
        cpu = int(limits.submission_timeout) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


@functools.cache
def _matplotlib_cache():
    """A matplotlib config folder with its font cache built once per grading process."""
    folder = Path(tempfile.mkdtemp(prefix="pia-mpl-"))
    subprocess.run([sys.executable, "-I", "-c", "import matplotlib.pyplot"], env={**os.environ, "MPLCONFIGDIR": str(folder)},
                   capture_output=True, check=False)
    return folder


def _environment(work):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "cwd"), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde", "PYTHONHASHSEED": "0",
           "MPLCONFIGDIR": str(work / "matplotlib"),
           # One thread per worker: parallel workers never oversubscribe the cores (ATTACKS E5).
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _run_once(assignment, steps, skip, limits, supporting, deadline):
    """One child run. Returns (records, failed_step, status) — failed_step None when it finished."""
    records = {}
    with tempfile.TemporaryDirectory(prefix="pia-grade-") as tmp:
        work = Path(tmp)
        cwd = work / "cwd"
        shutil.copytree(supporting, cwd, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
        shutil.copytree(_matplotlib_cache(), work / "matplotlib")  # a private copy: no cache poisoning
        (work / "plan.json").write_text(json.dumps({"assignment": assignment, "steps": steps, "skip": sorted(skip)}))
        read_end, write_end = os.pipe()
        command = [sys.executable, "-I", "-m", "autograder.worker", str(work), str(write_end)]
        process = subprocess.Popen(
            sandbox.wrap(command, work), pass_fds=(write_end,), cwd=cwd, env=_environment(work), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_limit(limits))
        os.close(write_end)
        current, step_deadline, buffer, done = None, deadline, b"", False
        try:
            while True:
                wait = min(step_deadline, deadline) - time.monotonic()
                if wait <= 0:
                    return records, current, "timeout"
                ready, _, _ = select.select([read_end], [], [], wait)
                if not ready:
                    continue
                chunk = os.read(read_end, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    event = json.loads(line)
                    if "begin" in event:
                        current = event["begin"]
                        timeout = limits.check_timeout if steps[current]["kind"] == "test" else limits.cell_timeout
                        step_deadline = time.monotonic() + timeout
                    elif "end" in event:
                        records[event["end"]] = _read_record(work / f"step-{event['end']}")
                        current, step_deadline = None, deadline
                    elif "done" in event:
                        done = True
        except (ValueError, KeyError, TypeError, IndexError):
            return records, current, "crashed"  # the status pipe was written to by someone else
        finally:
            _kill(process)
            os.close(read_end)
        if done:
            return records, None, None
        return records, current, "crashed"


def _read_record(path):
    try:
        return wire.decode(path)
    except (wire.WireError, OSError) as exc:
        return {"error": None, "probe": {"error": f"salida de la prueba no válida: {exc}"}}


class GraderError(Exception):
    """The worker failed outside any student step: the grader's own failure."""


def execute(assignment, steps, limits, supporting):
    """Run every step, skipping hung or crashed ones. Returns {step index: record or status}.

    ``supporting`` is the assignment folder whose non-notebook files the
    notebook may read; they are copied into the child's working directory.
    """
    outcomes, skip = {}, {}
    deadline = time.monotonic() + limits.submission_timeout
    while True:
        records, failed, status = _run_once(assignment, steps, skip, limits, supporting, deadline)
        for index, record in records.items():
            outcomes.setdefault(index, record)
        if status is None:
            break
        if failed is None:
            raise GraderError(f"the worker stopped outside any step ({status})")
        skip[failed] = status
        if time.monotonic() >= deadline:
            for index in range(len(steps)):
                if index not in outcomes and index not in skip:
                    skip[index] = "timeout"
            break
    outcomes.update({index: {"status": status} for index, status in skip.items()})
    return outcomes


def _test_result(item, function, outcome, limits, assignment):
    """(status, score fraction, message) of one graded item from its step's outcome."""
    if outcome is None:
        return "failed", 0.0, f"{function}: falta la celda de pruebas {item} en el notebook (no la borres)"
    if "status" in outcome:
        if outcome["status"] == "timeout":
            return "timeout", 0.0, f"se agotó el tiempo ({limits.check_timeout:g} s) en {function}"
        return "crashed", 0.0, f"el proceso terminó de forma inesperada durante la prueba de {function}"
    if outcome.get("error"):
        status = "oom" if outcome.get("oom") else "failed"
        return status, 0.0, f"{function}: falló la prueba visible de la celda {item}: {outcome['error']}"
    probe = outcome.get("probe", {})
    score, message = grading.judge(assignment, item, probe, item_seed(assignment, item))
    if probe.get("status") == "oom":
        return "oom", 0.0, message
    return ("passed" if score == 1 else "failed"), score, message


def grade(assignment, submission_path, source=assignments.SOURCE, limits=Limits()):
    """Grade one submitted notebook; returns a Gradescope-schema results dict."""
    from autograder.results import submission_results

    master_path = assignments.master_notebook(assignment, source)
    master = notebook.read_master(master_path)
    items = notebook.items(master)
    if not Path(submission_path).exists():
        return submission_results(assignment, items, "missing_submission",
                                  f"no se entregó {Path(submission_path).name}", sandbox.isolation())
    try:
        submission = notebook.read_submission(Path(submission_path))
        steps = notebook.plan(master, submission)
    except notebook.InvalidSubmission as exc:
        return submission_results(assignment, items, "invalid_submission", str(exc), sandbox.isolation())
    for step in steps:
        if step["kind"] == "test":
            step["seed"] = item_seed(assignment, step["item"])
    try:
        outcomes = execute(assignment, steps, limits, supporting=master_path.parent)
    except GraderError as exc:
        return submission_results(assignment, items, "error", str(exc), sandbox.isolation())
    by_item = {step["item"]: outcomes.get(i) for i, step in enumerate(steps) if step["kind"] == "test"}
    tests = []
    for item in items:
        function = assignments.check_name(item.grade_id)
        status, score, message = _test_result(item.grade_id, function, by_item.get(item.grade_id), limits, assignment)
        tests.append({"name": item.grade_id, "score": round(score * item.points, 6), "max_score": item.points,
                      "status": status, "output": message[:MAX_OUTPUT]})
    return submission_results(assignment, items, "graded", None, sandbox.isolation(), tests)
