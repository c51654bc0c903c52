"""Trusted-side handles on zygotes: warm, sandboxed workers, one per grading thread at a time.

A ``Zygote`` starts ``autograder.engine.zygote`` inside the sandbox once (numpy,
torch and the probes imported once), then runs each submission's plan in a
forked child: the cost of a submission is a fork, not a Python start.  The
event loop is the same as for a spawned worker: ``begin``/``end``/``done`` on
the job's status FIFO, a deadline per step, and a kill that ends the child's
whole process group (and, in bubblewrap, every other process of the sandbox).
"""
import atexit
import contextlib
import json
import os
import shutil
import select
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from autograder.engine import sandbox

READY_TIMEOUT = 120.0  # seconds for a cold start: importing torch on a busy machine
KILL_TIMEOUT = 10.0    # seconds for the zygote to confirm a kill before it is replaced
LAUNCH = "import runpy; runpy.run_module('autograder.engine.zygote', run_name='__main__', alter_sys=True)"


# bwrap's --die-with-parent fires when the *thread* that started it ends: zygotes are started from this
# one thread, which lives as long as the process, so a zygote outlives the batch's worker threads and
# serves the next assignment graded by the same process.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zygote-launcher")


class ZygoteDied(Exception):
    """The zygote stopped answering; the caller replaces it."""


def _new_folder():
    """A zygote's folder, made by the trusted side; under /tmp whatever TMPDIR says: inside the sandbox
    every parent folder of the job folders must be traversable by the unprivileged uid."""
    return Path(tempfile.mkdtemp(prefix="pia-zygote-", dir="/tmp"))


class Zygote:
    def __init__(self, limits, environment, preexec):
        self.root = _new_folder()
        self.limits, self.environment, self.preexec = limits, environment, preexec
        self.process, self.buffer = None, b""

    def _start(self):
        if any(self.root.iterdir()):  # an earlier zygote's folder, which its children could write: never walked
            shutil.rmtree(self.root, ignore_errors=True)  # (rmtree follows no link)
            self.root = _new_folder()
        sandbox.own(self.root)
        command = sandbox.python_argv(LAUNCH, *(["--sweep"] if sandbox.bwrap_works() else []))
        (self.root / "cwd").mkdir(exist_ok=True)
        self.process = _LAUNCHER.submit(
            subprocess.Popen, sandbox.wrap(command, self.root), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=self.root, env=self.environment(self.root),
            start_new_session=True, preexec_fn=self.preexec).result()
        self.buffer = b""
        try:
            if self._reply(READY_TIMEOUT).get("ready") is not True:
                raise ZygoteDied("the zygote did not start")
        except ZygoteDied:
            self.stop()
            raise

    def started(self):
        """Start the zygote unless it is running; False when it cannot start."""
        try:
            if self.process is None or self.process.poll() is not None:
                self._start()
            return True
        except ZygoteDied:
            return False

    def _send(self, message):
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise ZygoteDied("the zygote's stdin is closed") from None

    def _reply(self, timeout):
        """The zygote's next JSON line within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            wait = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(wait, 0))
            if not ready:
                raise ZygoteDied("the zygote did not answer in time")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise ZygoteDied("the zygote exited")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            raise ZygoteDied("the zygote said something unreadable") from None

    def stop(self):
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None

    def run(self, work, on_event, deadline_of):
        """Run the plan in ``work`` (a folder under ``self.root``).

        ``on_event(event)`` receives each status event; ``deadline_of()`` gives
        the current monotonic deadline.  Returns None when the child finished
        its plan, else ``"timeout"`` or ``"crashed"``.
        """
        fifo = work / "status"
        os.mkfifo(fifo, 0o600)
        sandbox.own(work)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if self.process is None or self.process.poll() is not None:  # restarting would remove ``work``
                return "crashed"
            self._send({"job": str(work), "cpu": int(self.limits.submission_timeout) + 5})
            if self._reply(READY_TIMEOUT).get("started") is not True:
                raise ZygoteDied("the zygote did not start the job")
            return self._follow(reader, on_event, deadline_of)
        except (ValueError, KeyError, TypeError, IndexError):  # garbage written to the status FIFO
            self.stop()
            return "crashed"
        except ZygoteDied:
            self.stop()
            return "crashed"
        finally:
            os.close(reader)

    def _follow(self, reader, on_event, deadline_of):
        buffer, done = b"", False
        streams = [reader, self.process.stdout]
        while True:
            wait = deadline_of() - time.monotonic()
            if wait <= 0:
                self._send({"kill": True})
                self._reply(KILL_TIMEOUT)  # {"exited": ...}
                return "timeout"
            # The zygote's reply may have arrived with its "started" line, already buffered.
            buffered = b"\n" in self.buffer
            ready, _, _ = select.select(streams, [], [], 0 if buffered else wait)
            if reader in ready:
                chunk = os.read(reader, 65536)
                if not chunk:
                    streams = [self.process.stdout]  # the child closed the FIFO
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    event = json.loads(line)
                    done = done or "done" in event
                    on_event(event)
            if buffered or self.process.stdout in ready:
                self._reply(0)  # {"exited": ...}: the child is gone
                for line in (buffer + self._drain(reader)).split(b"\n"):
                    if line.strip():
                        event = json.loads(line)
                        done = done or "done" in event
                        on_event(event)
                return None if done else "crashed"

    @staticmethod
    def _drain(reader):
        data = b""
        while True:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                return data
            if not chunk:
                return data
            data += chunk


_lock = threading.Condition()
_idle = []      # warm zygotes no thread is using
_all = []
_starting = []  # zygotes ``warm`` is starting or checking: handed out once it is done
_wanted = 1     # how many zygotes the threads share (``warm`` raises it): a thread waits rather than make more


@contextlib.contextmanager
def zygote(limits, environment, preexec):
    """A zygote for ``limits``, the caller's alone until the block ends, then kept for the next caller
    (the next submission, or the next assignment graded by the same process); stopped when the process
    exits.  Idle zygotes with other limits are stopped.  When every zygote is busy the caller waits for
    one, unless fewer than ``warm``'s count exist: then it makes one, started on first use."""
    with _lock:
        while True:
            for other in [z for z in _idle if z.limits != limits]:
                _discard(other)
            if _idle:
                found = _idle.pop()
                break
            if len(_all) < _wanted and not _starting:
                found = Zygote(limits, environment, preexec)
                _all.append(found)
                break
            _lock.wait()
    try:
        yield found
    finally:
        with _lock:
            _idle.append(found)
            _lock.notify()


def warm(limits, environment, preexec, count=1):
    """At least ``count`` zygotes for ``limits``, the idle ones (re)started and the missing ones started, side
    by side; from now on the threads share that many.  Returns a zygote that does not start, or None."""
    global _wanted
    with _lock:
        for other in [z for z in _idle if z.limits != limits]:
            _discard(other)
        _wanted = max(_wanted, count)
        fresh = [Zygote(limits, environment, preexec) for _ in range(count - len(_all))]
        _all.extend(fresh)
        checked = _idle + fresh
        _idle.clear()
        _starting.extend(checked)
    try:
        with ThreadPoolExecutor(max_workers=max(len(checked), 1)) as starters:
            started = list(starters.map(Zygote.started, checked))
    finally:
        with _lock:
            for each in checked:
                _starting.remove(each)
            _idle.extend(checked)
            _lock.notify_all()
    return next((each for each, ok in zip(checked, started) if not ok), None)


def stop_idle():
    """Stop the zygotes no thread is using: the next grading starts fresh ones, as many as it warms."""
    global _wanted
    with _lock:
        _wanted = 1
        for each in list(_idle):
            _discard(each)


def _discard(each):
    each.stop()
    shutil.rmtree(each.root, ignore_errors=True)
    _all.remove(each)
    if each in _idle:
        _idle.remove(each)


@atexit.register
def _stop_all():
    for each in list(_all):
        _discard(each)
