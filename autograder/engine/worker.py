"""The untrusted side: run a submission's plan in a fresh IPython shell.

``run_plan`` runs each step of ``WORKDIR/plan.json`` in order, writes the
step's plain record to ``WORKDIR/step-<i>.json/.bin`` and reports
``begin``/``end`` on a status stream, so the trusted side can time every step
and kill a hung one.  What a cell prints, and the value it shows, go into its
record (capped: the autograded notebook's outputs); output written past
Python's streams goes to ``WORKDIR/output.txt``, never to the status stream.
It runs in a child forked by ``autograder.engine.zygote``.
"""
import functools
import io
import json
import os
import sys
import warnings

from IPython.core.displayhook import DisplayHook

from autograder.checks import dispatch, messages, probing, wire
from autograder.checks.judging import MAX_MESSAGE
from autograder.engine import watch
from autograder.engine.limits import MAX_SHOWN


def _cut(text, lost):
    """``text`` followed, when ``lost`` characters were dropped, by a Spanish note saying so."""
    return f"{text}\n… (salida recortada: {lost} caracteres más)" if lost else text


class Capped(io.TextIOBase):
    """A text stream keeping the first ``MAX_SHOWN`` characters written to it."""

    def __init__(self):
        super().__init__()
        self.parts, self.left, self.lost = [], MAX_SHOWN, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        self.parts.append(text[:self.left])
        self.left -= len(self.parts[-1])
        self.lost += len(text) - len(self.parts[-1])
        return len(text)

    def text(self):
        return _cut("".join(self.parts), self.lost)


class ValueHook(DisplayHook):
    """IPython's display hook, keeping the text of the cell's value (a notebook's ``Out[n]``) instead of printing it."""
    value = None

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        text = str(format_dict.get("text/plain", ""))
        self.value = _cut(text[:MAX_SHOWN], max(0, len(text) - MAX_SHOWN))

    def finish_displayhook(self):
        self._is_active = False


def error_text(result):
    """``Type: message`` of the exception an IPython ``run_cell`` result carries, or None."""
    exc = result.error_before_exec or result.error_in_exec
    if exc is None:
        return None
    if probing.network_error(exc):
        return f"{type(exc).__name__}: {probing.NO_NETWORK}"
    return f"{type(exc).__name__}: {str(exc)[:MAX_MESSAGE]}"


def run_step(shell, assignment, step, shown, replaced=lambda: []):
    """The step's record: its error, whether it ran out of memory, the warnings ``shown`` meanwhile, what
    it printed and showed (``outputs``), what of the grader's it ``replaced`` (a ``Watch.changed``) and,
    for a test, its probe's data."""
    shown.clear()
    shell.displayhook.value = None
    streams = {"stdout": Capped(), "stderr": Capped()}
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = streams["stdout"], streams["stderr"]
    try:
        result = shell.run_cell(step["source"], store_history=True, silent=False)
    finally:
        sys.stdout, sys.stderr = saved
    outputs = {name: stream.text() for name, stream in streams.items()}
    record = {"error": error_text(result), "oom": probing.out_of_memory(result.error_in_exec),
              "outputs": {**outputs, "value": shell.displayhook.value}}
    if step["kind"] == "test":
        record["probe"] = dispatch.run_probe(assignment, step["item"], shell.user_ns, step["seed"])
    record["warnings"] = list(dict.fromkeys(shown))[:messages.MAX_WARNINGS]
    record["replaced"] = replaced()
    return record


def showing(shown, write):
    """A ``warnings.showwarning`` that also keeps ``Category: message`` of each warning the filters let through."""
    def showwarning(message, category, filename, lineno, file=None, line=None):
        shown.append(f"{category.__name__}: {str(message)[:MAX_MESSAGE]}")
        write(message, category, filename, lineno, file, line)
    return showwarning


@functools.cache
def new_shell():
    """The IPython shell a submission runs in.  The zygote makes it before it forks (``zygote.warm``), so every
    child starts from its own copy of a shell no code has run in, without the 30 ms of making one."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    # No history database: its SQLite writes cost about 2 ms a cell and its thread 20 ms a start, for nothing.
    shell = InteractiveShell.instance(colors="nocolor", displayhook_class=ValueHook,
                                      config=Config(HistoryManager={"enabled": False}))
    # Scores and the notebook's error outputs come from the exceptions themselves (error_text); IPython's
    # tracebacks cost about 40 ms each, most of a stub submission's time, for text nobody reads.
    shell.InteractiveTB.set_mode("Minimal")
    shell._showtraceback = lambda *_: None
    # %matplotlib inline asks a frontend to show figures; this shell has none (its own %matplotlib raises),
    # and figures are not drawn while grading: the magic does nothing, as the integrity scan assumes.
    shell.register_magic_function(lambda line="": None, "line", "matplotlib")
    return shell


def run_plan(workdir, status):
    """Run ``workdir/plan.json``, reporting on the line-buffered text stream ``status``."""
    plan = json.loads((workdir / "plan.json").read_text())
    output = os.open(workdir / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(output, 1)
    os.dup2(output, 2)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() gets EOF at once (docs/attacks.md I1)
    shell = new_shell()
    shown = []
    warnings.showwarning = showing(shown, warnings.showwarning)
    replaced = watch.Watch(shell).changed  # bound now, before any student code runs
    for index, step in enumerate(plan["steps"]):
        if index in plan["skip"]:
            continue
        status.write(json.dumps({"begin": index}) + "\n")
        wire.encode(run_step(shell, plan["assignment"], step, shown, replaced), workdir / f"step-{index}")
        status.write(json.dumps({"end": index}) + "\n")
    status.write(json.dumps({"done": True}) + "\n")

