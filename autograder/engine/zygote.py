"""A worker that imports once and forks one child per submission.

Started inside the sandbox by ``sandbox.python_argv`` (``python -I``, this package first on the
path), with ``--sweep`` inside bubblewrap.
It imports numpy, torch, IPython and every assignment's probes once, then
reads one JSON command per line on stdin:

- ``{"job": DIR, "cpu": SECONDS}``: fork a child that runs ``DIR/plan.json``
  with ``worker.run_plan`` in its own session and its own user, PID and IPC
  namespaces, with every resource limit set afresh, ``DIR/cwd`` as working
  and home folder, reporting on the FIFO ``DIR/status``; answers
  ``{"started": true}`` and, when the child ends, ``{"exited": STATUS}``;
- ``{"kill": true}``: kill the running child's process group at once.

After each child, ``--sweep`` (given only inside bubblewrap's PID namespace)
kills every other process of the sandbox, so no daemon a student left
behind sees the next submission; the private /tmp and /dev/shm are emptied
too, all but the child's job folder, which the trusted side reads and removes.  The
zygote marks itself non-dumpable so children cannot ptrace it or read its
memory.
"""
import ctypes
import gc
import importlib
import json
import os
import pkgutil
import resource
import select
import shutil
import signal
import sys
import time
from pathlib import Path

PR_SET_DUMPABLE = 4
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWIPC = 0x10000000, 0x20000000, 0x08000000
LIBC = ctypes.CDLL(None, use_errno=True)
# The limits a child gets afresh: those the zygote was started with (runner._limit).
INHERITED = (resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CORE,
             resource.RLIMIT_NPROC)


def warm():
    """Import and exercise, once, what every submission needs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import torch
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    import autograder.probes
    from autograder.checks import dispatch
    from autograder.engine import worker

    worker.new_shell()  # made once here: each child gets a copy no code has run in

    for module in pkgutil.iter_modules(autograder.probes.__path__):
        importlib.import_module(f"autograder.probes.{module.name}")
    from torch import nn, optim

    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    for optimizer in (optim.SGD(net.parameters(), lr=0.1), optim.Adam(net.parameters())):
        optimizer.zero_grad()
        nn.MSELoss()(net(torch.ones(4, 2)), torch.zeros(4, 2)).backward()  # the first backward starts the engine
        optimizer.step()  # the first optimizer imports torch._dynamo: about 1 s, once here, not per submission
    # What exists now is never collected again: each child's collections walk only the objects it made, not
    # torch's and IPython's (a full collection over them cost the perceptron's probe half its time).
    gc.freeze()


class Commands:
    """JSON lines from stdin, read unbuffered so ``select`` never misses one."""

    def __init__(self):
        self.buffer = b""

    def next(self, timeout=None, wake=None):
        """The next command; None on timeout or once the descriptor ``wake`` is readable; ``{"eof": True}``
        once the trusted side is gone."""
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([0] if wake is None else [0, wake], [], [], timeout)
            if 0 not in ready:
                return None
            chunk = os.read(0, 65536)
            if not chunk:
                return {"eof": True}
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def reply(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def child(job, cpu, limits):
    """Run one submission; never returns."""
    try:
        os.setsid()
        isolate()
        for which, value in limits.items():  # afresh, whatever an earlier child did
            resource.setrlimit(which, value)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        os.chdir(job / "cwd")
        os.environ.update({"HOME": str(job / "cwd"), "MPLCONFIGDIR": str(job / "matplotlib")})
        from autograder.engine import worker

        worker.run_plan(job, open(job / "status", "w", buffering=1))
    finally:
        os._exit(0)


def isolate():
    """Continue in new user, PID and IPC namespaces, as pid 2 under a pid 1 that waits for it.

    The zygote and every other process outside cannot be named from inside, so the submission can
    neither signal nor re-limit them (``kill``, ``prlimit`` take a pid), and the SysV IPC objects it
    leaves die with its namespace.  Where the kernel refuses the namespaces, the child goes on in the
    zygote's (docs/security.md).
    """
    uid, gid = os.getuid(), os.getgid()
    if uid == 0 or LIBC.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC) != 0:
        return  # root outside bubblewrap: its job folders belong to the sandbox's uid, unmapped in a new namespace
    LIBC.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # a non-dumpable process cannot write its own /proc/self maps
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    for _ in ("pid 1", "pid 2"):  # the first child of a new PID namespace is its pid 1
        pid = os.fork()
        if pid:
            relay(pid)


def relay(pid):
    """Wait for ``pid`` and exit as it did; never returns."""
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def sweep(job):
    """Kill every other process this uid can signal in the PID namespace, and empty /tmp but ``job``,
    whose step records the trusted side may still be reading (it removes the folder itself), and
    /dev/shm."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    clear(Path("/tmp"), job)
    clear(Path("/dev/shm"), job)  # POSIX shared memory is files, not namespaced


def clear(folder, keep):
    """Delete everything in ``folder`` except ``keep`` and the folders on the way to it."""
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry == keep:
            continue
        if entry in keep.parents:
            clear(entry, keep)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def supervise(pid, job, commands, sweeping):
    """Wait for the child or a kill command; returns the child's wait status."""
    try:
        exited = os.pidfd_open(pid)  # readable once the child exits: woken at once, not by polling
    except OSError:  # a kernel before 5.3
        exited = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            command = commands.next(timeout=None if exited is not None else 0.01, wake=exited)
            if command and (command.get("kill") or command.get("eof")):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                if command.get("eof"):
                    sys.exit(0)
    finally:
        if exited is not None:
            os.close(exited)
    if sweeping:
        sweep(job)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return status


def main():
    # Sweeping kills every process this uid may signal: only ever inside the
    # sandbox's PID namespace (a small pid) and as the unprivileged uid.
    sweeping = "--sweep" in sys.argv and os.getpid() < 10 and os.getuid() != 0
    warm()
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    limits = {which: resource.getrlimit(which) for which in INHERITED}
    reply({"ready": True})
    commands = Commands()
    while True:
        command = commands.next()
        if command.get("eof"):
            return
        if "job" not in command:
            continue
        job = Path(command["job"])
        pid = os.fork()
        if pid == 0:
            child(job, int(command["cpu"]), limits)
        reply({"started": True})
        start = time.monotonic()
        status = supervise(pid, job, commands, sweeping)
        reply({"exited": status, "seconds": round(time.monotonic() - start, 3)})


if __name__ == "__main__":
    main()
