"""The untrusted side: run a submission's plan in a fresh IPython shell.

``run_plan`` runs each step of ``WORKDIR/plan.json`` in order, writes the
step's plain record to ``WORKDIR/step-<i>.json/.npz`` and reports
``begin``/``end`` on a status stream, so the trusted side can time every step
and kill a hung one.  Student output goes to ``WORKDIR/output.txt``, never to
the status stream.  It runs in a child forked by ``autograder.engine.zygote``.
"""
import json
import os
import warnings

from autograder.checks import dispatch, messages, probing, wire
from autograder.checks.judging import MAX_MESSAGE


def error_text(result):
    """``Type: message`` of the exception an IPython ``run_cell`` result carries, or None."""
    exc = result.error_before_exec or result.error_in_exec
    if exc is None:
        return None
    if probing.network_error(exc):
        return f"{type(exc).__name__}: {probing.NO_NETWORK}"
    return f"{type(exc).__name__}: {str(exc)[:MAX_MESSAGE]}"


def run_step(shell, assignment, step, shown):
    """The step's record: its error, whether it ran out of memory, the warnings ``shown`` meanwhile, and,
    for a test, its probe's data."""
    shown.clear()
    result = shell.run_cell(step["source"], store_history=True, silent=False)
    record = {"error": error_text(result), "oom": probing.out_of_memory(result.error_in_exec)}
    if step["kind"] == "test":
        record["probe"] = dispatch.run_probe(assignment, step["item"], shell.user_ns, step["seed"])
    record["warnings"] = list(dict.fromkeys(shown))[:messages.MAX_WARNINGS]
    return record


def showing(shown, write):
    """A ``warnings.showwarning`` that also keeps ``Category: message`` of each warning the filters let through."""
    def showwarning(message, category, filename, lineno, file=None, line=None):
        shown.append(f"{category.__name__}: {str(message)[:MAX_MESSAGE]}")
        write(message, category, filename, lineno, file, line)
    return showwarning


def run_plan(workdir, status):
    """Run ``workdir/plan.json``, reporting on the line-buffered text stream ``status``."""
    plan = json.loads((workdir / "plan.json").read_text())
    output = os.open(workdir / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() gets EOF at once (docs/attacks.md I1)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    # Scores come from the exceptions themselves (error_text); IPython's verbose tracebacks cost
    # about 40 ms each, most of a stub submission's time, for text nobody reads.
    shell.InteractiveTB.set_mode("Minimal")
    shown = []
    warnings.showwarning = showing(shown, warnings.showwarning)
    for index, step in enumerate(plan["steps"]):
        if index in plan["skip"]:
            continue
        status.write(json.dumps({"begin": index}) + "\n")
        wire.encode(run_step(shell, plan["assignment"], step, shown), workdir / f"step-{index}")
        status.write(json.dumps({"end": index}) + "\n")
    status.write(json.dumps({"done": True}) + "\n")

