"""The trusted side: run a submission's plan in a sandboxed child and judge it.

The child, forked by a warm zygote (``autograder.engine.pool``), runs student
code; this process never imports it.  Each step has a wall-clock timeout; a
hung or crashed step is recorded, the child's whole process group is killed,
and a new child resumes from the start with that step skipped, so one bad
cell costs only itself.
"""
import atexit
import functools
import importlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder import assignments
from autograder.checks import messages, wire
from autograder.checks.judging import MAX_MESSAGE
from autograder.checks.seeds import item_seed
from autograder.engine import notebook, pool, sandbox, watch
from autograder.engine.limits import MAX_SHOWN, Limits

# Characters of one test's output in the results file: not the message cap
# (judging.MAX_MESSAGE) but a bound on all the text stored for a test, a grader
# error or a probe's message from the sandbox included.
MAX_OUTPUT = 2000


def _limit(limits, cpu=True):
    """rlimits for the sandboxed process; a zygote (``cpu=False``) sets CPU time per child."""
    def apply():
        if cpu:
            seconds = int(limits.submission_timeout) + 5
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


@functools.cache
def _matplotlib_cache():
    """A matplotlib config folder with its font cache, built once per grading process in the background
    (``.result()`` waits for it), so that it builds while the first zygote starts."""
    def build():
        folder = Path(tempfile.mkdtemp(prefix="pia-mpl-"))
        atexit.register(shutil.rmtree, folder, True)
        subprocess.run([sys.executable, "-I", "-c", "import matplotlib.pyplot"],
                       env={**os.environ, "MPLCONFIGDIR": str(folder)}, capture_output=True, check=False)
        return folder
    return ThreadPoolExecutor(max_workers=1).submit(build)


class WorkerUnavailable(Exception):
    """No sandboxed worker starts here, so nothing can be graded; the message says why (for the instructor)."""


_starting = {}  # limits -> the Futures of the ``_prepare`` calls begun by ``start``
_STARTER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker-start")


def start(limits, count=1):
    """Begin ``prepare(limits)`` in the background for ``count`` workers, started side by side (torch imported
    in each sandbox) while this process imports what it needs; the next ``prepare`` waits for them."""
    _starting.setdefault(limits, []).append(_STARTER.submit(_prepare, limits, count))


def prepare(limits):
    """Start, once, what every grading shares and the warm workers for ``limits``; call it before grading from
    several threads.  Raises ``WorkerUnavailable`` when a worker does not start."""
    for begun in _starting.pop(limits, []):
        begun.result()  # its workers are warm and idle now, which the check below finds at once
    _prepare(limits)


def warm_judges(assignment):
    """Import, before the first submission, what judging ``assignment`` loads on this side (torch, its judge and
    reference), and begin importing torch._dynamo, which ``torch.optim`` loads on first use (about 2.5 s), in
    the background: it runs while this thread waits for the worker."""
    from autograder.checks import dispatch  # noqa: F401  (torch: imported while the worker starts)

    _import_dynamo()
    assignments.judges(assignment)


@functools.cache
def _import_dynamo():
    threading.Thread(target=importlib.import_module, args=("torch._dynamo",), daemon=True).start()


def _prepare(limits, count=1):
    sandbox.isolation()
    _matplotlib_cache()
    failed = pool.warm(limits, _environment, _limit(limits, cpu=False), count)
    if failed is not None:
        raise WorkerUnavailable(f"the sandboxed worker does not start ({_why_no_worker(limits, failed.root)}); "
                                f"nothing was graded. Repair the installation (docs/security.md), or set "
                                f"PIA_SANDBOX=off to grade without the sandbox")


def _why_no_worker(limits, root):
    """The last line the worker's start-up prints on stderr, run once more with the worker's limits."""
    command = sandbox.wrap(sandbox.python_argv("from autograder.engine import zygote; zygote.warm()"), root)
    try:
        done = subprocess.run(command, capture_output=True, timeout=pool.READY_TIMEOUT, cwd=root,
                              env=_environment(root), preexec_fn=_limit(limits, cpu=False))
    except subprocess.TimeoutExpired:
        return f"it takes longer than {pool.READY_TIMEOUT:g} s to start"
    return sandbox.last_words(done)[:MAX_OUTPUT]


def _environment(work):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work / "cwd"), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "NBGRADER_EXECUTION": "autograde", "PYTHONHASHSEED": "0",
           "MPLCONFIGDIR": str(work / "matplotlib"),
           # One thread per worker: parallel workers never oversubscribe the cores (docs/attacks.md E5).
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _run_once(assignment, steps, skip, limits, supporting, deadline):
    """One run of the plan in a child forked by a warm zygote (``pool.zygote``).

    Returns (records, failed_step, status): ``failed_step`` is None when the
    plan ran to its end, else the step that hung (``timeout``) or during
    which the child died (``crashed``).
    """
    with pool.zygote(limits, _environment, _limit(limits, cpu=False)) as zygote:
        records, state = {}, {"current": None, "deadline": deadline}
        if not zygote.started():  # first, so that the font cache builds meanwhile
            return records, None, "crashed"
        work = Path(tempfile.mkdtemp(prefix="job-", dir=zygote.root))
        folder = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)  # opened before the sandbox owns it

        def on_event(event):
            if "begin" in event:
                state["current"] = current = event["begin"]
                timeout = limits.check_timeout if steps[current]["kind"] == "test" else limits.cell_timeout
                state["deadline"] = time.monotonic() + timeout
            elif "end" in event:
                records[event["end"]] = _read_record(f"step-{event['end']}", folder)
                state["current"], state["deadline"] = None, deadline

        try:
            cwd = work / "cwd"
            shutil.copytree(supporting, cwd, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
            shutil.copytree(_matplotlib_cache().result(), work / "matplotlib")  # a private copy: no cache poisoning
            prepare = getattr(assignments.probes(assignment), "prepare_sandbox", None)
            if prepare:  # data a probe needs that the sandbox hides (04_mnist: the training digits only)
                prepare(cwd, {step["item"]: step["seed"] for step in steps if step["kind"] == "test"})
            (work / "plan.json").write_text(json.dumps({"assignment": assignment, "steps": steps, "skip": sorted(skip)}))
            status = zygote.run(work, on_event, lambda: min(state["deadline"], deadline))
        finally:
            os.close(folder)
            shutil.rmtree(work, ignore_errors=True)
    return records, (state["current"] if status else None), status


def _read_record(name, folder):
    """The record the sandbox wrote as ``name`` in the job ``folder`` (a descriptor), read without following links."""
    try:
        return wire.decode(name, folder)
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


def _trusted_sources(assignment, item, outcome, code):
    """``outcome`` with the source its judge reads (``SOURCES`` of the judge module) taken from ``code``,
    the notebook's code cells run before the test, instead of what the student's process reported."""
    function = getattr(assignments.judges(assignment), "SOURCES", {}).get(assignments.check_name(item))
    data = outcome.get("probe", {}).get("ok") if isinstance(outcome, dict) else None
    if function is None or not isinstance(data, dict):
        return outcome
    probe = {**outcome["probe"], "ok": {**data, "source": notebook.defined_source(code, function)}}
    return {**outcome, "probe": probe}


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
        return status, 0.0, _visible_test_failed(function, str(outcome["error"]))
    probe = outcome.get("probe", {})
    from autograder.checks import dispatch  # torch: loaded by warm_judges while the worker starts

    score, message = dispatch.judge(assignment, item, probe, item_seed(assignment, item))
    if probe.get("status") == "oom":
        return "oom", 0.0, message
    return ("passed" if score == 1 else "failed"), score, message


def _visible_test_failed(function, error):
    """The message for a test cell whose visible part raised ``error`` (``Type: text``, from the worker)."""
    kind, _, text = error.partition(": ")
    if kind == "AssertionError" and text:  # the notebook's own Spanish message, which names the function
        return f"prueba visible: {text}" if text.startswith(function) else f"{function}, prueba visible: {text}"
    if kind == "AssertionError":
        return f"{function}: no se cumplió una comprobación de la prueba visible"
    if kind == "NotImplementedError":
        return messages.not_written(function)
    return f"prueba visible: {messages.raised(function, kind, text)}"


def _warned(message, outcome):
    """``message`` followed by the warnings the student's code raised during the test, explained."""
    shown = outcome.get("warnings") if isinstance(outcome, dict) else None
    if not isinstance(shown, list) or not all(isinstance(text, str) for text in shown):
        return message
    clause = messages.warned([text[:MAX_MESSAGE] for text in shown])
    return f"{message}; {clause}" if clause else message


def _shown(outcome, limits):
    """What a code cell showed in the sandbox, for its autograded notebook: the texts of ``stdout``,
    ``stderr``, ``value`` and ``error`` (``Type: message``) it has, each capped; a hung or killed cell says so."""
    if not isinstance(outcome, dict):
        return {}
    if "status" in outcome:
        if outcome["status"] == "timeout":
            return {"error": f"TimeoutError: la celda no terminó en {limits.cell_timeout:g} s y se detuvo"}
        return {"error": "Error: el proceso terminó de forma inesperada durante esta celda (¿memoria agotada?)"}
    outputs = outcome.get("outputs") if isinstance(outcome.get("outputs"), dict) else {}
    shown = {**outputs, "error": outcome.get("error")}
    return {name: text[:MAX_SHOWN + 80] for name, text in shown.items()
            if name in ("stdout", "stderr", "value", "error") and isinstance(text, str) and text}


def _replaced(outcome):
    """The names of the grader's objects a step's code rebound, as the worker's watch recorded them (forgeable:
    for the integrity report only, never a score)."""
    names = outcome.get("replaced") if isinstance(outcome, dict) else None
    if not isinstance(names, list):
        return []
    return [name[:200] for name in names[:watch.MAX_NAMES] if isinstance(name, str)]


def _check_file(path, limits):
    """Refuse, before reading it, a submission that is not a regular file or is too large."""
    if not path.is_file():  # a FIFO or a device would block or never end
        raise notebook.InvalidSubmission(f"{path.name} no es un archivo normal")
    size = path.stat().st_size
    if size > limits.notebook_bytes:
        raise notebook.InvalidSubmission(
            f"{path.name} es demasiado grande ({size / 2**20:.0f} MB > {limits.notebook_bytes / 2**20:.0f} MB): "
            "borra las salidas (Kernel → Restart & Clear Output) y vuelve a entregarlo")


def _restore_lost_tests(master, items, steps):
    """Put back the test cells a submission lost (deleted, or turned into markdown), as
    nbgrader's ``OverwriteCells.add_missing_cells`` would: each just before the test
    that follows it in the master (after the answers it tests), else last.
    Returns the restored grade_ids."""
    sources = {notebook.nbgrader_meta(c).get("grade_id"): c.source for c in master.cells}
    rank = {item.grade_id: i for i, item in enumerate(items)}
    present = {step["item"] for step in steps if step["kind"] == "test"}
    restored = [item.grade_id for item in items if item.grade_id not in present]
    for grade_id in reversed(restored):
        later = [i for i, step in enumerate(steps) if step["kind"] == "test" and rank[step["item"]] > rank[grade_id]]
        at = later[0] if later else len(steps)
        steps.insert(at, {"kind": "test", "item": grade_id, "source": notebook.visible_part(sources[grade_id])})
    return restored


def score_notebook(assignment, submission_path, source=assignments.SOURCE, limits=Limits()):
    """Grade one submitted notebook; returns a Gradescope-schema results dict."""
    from autograder.results import grader_error, submission_results

    master_path = assignments.master_notebook(assignment, source)
    master = notebook.master_for_grading(master_path)
    items = notebook.items(master)
    if not Path(submission_path).exists():
        return submission_results(assignment, items, "missing_submission",
                                  f"no se entregó {Path(submission_path).name}", sandbox.isolation())
    try:
        _check_file(Path(submission_path), limits)
        submission = notebook.read_submission(Path(submission_path))
        steps = notebook.plan(master, submission)
    except notebook.InvalidSubmission as exc:
        return submission_results(assignment, items, "invalid_submission", str(exc), sandbox.isolation())
    restored = _restore_lost_tests(master, items, steps)
    for step in steps:
        if step["kind"] == "test":
            step["seed"] = item_seed(assignment, step["item"])
    try:
        outcomes = execute(assignment, steps, limits, supporting=master_path.parent)
    except GraderError as exc:
        return grader_error(assignment, items, str(exc), sandbox.isolation())
    by_item, code, cells, replaced = {}, [], [], []  # code: the cells run so far, whose definitions a judge may read
    for i, step in enumerate(steps):
        names = _replaced(outcomes.get(i))
        if names:
            replaced.append({"cell": step.get("label", step.get("item")), "names": names})
        if step["kind"] == "code":
            code.append(step["source"])
            shown = _shown(outcomes.get(i), limits)
            if shown:
                cells.append({"cell": step["cell"], **shown})
        else:
            by_item[step["item"]] = _trusted_sources(assignment, step["item"], outcomes.get(i), list(code))
    tests = []
    for item in items:
        function = assignments.check_name(item.grade_id)
        outcome = by_item.get(item.grade_id)
        status, score, message = _test_result(item.grade_id, function, outcome, limits, assignment)
        message = _warned(message, outcome)
        if item.grade_id in restored:
            message = f"se restauró la celda de pruebas {item.grade_id}, que faltaba en el notebook; {message}"
        tests.append({"name": item.grade_id, "score": round(score * item.points, 6), "max_score": item.points,
                      "status": status, "output": message[:MAX_OUTPUT]})
    return {**submission_results(assignment, items, "graded", None, sandbox.isolation(), tests), "cells": cells,
            "replaced": replaced}
