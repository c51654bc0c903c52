"""docs/attacks.md rows A–F, I and J: each bad input against the package's grading path.

Every row is one submission graded by ``runner.score_notebook`` (student code in the
sandbox, judges here) with a declared oracle:

- ``NO_GAIN``: an exploit on a wrong base scores, item by item, no more than
  the wrong base scores honestly (an exploit that breaks a function also costs
  the items that call it);
- ``SAME_AS_HONEST``: an accident on a correct base keeps the documented score;
- ``ISOLATED``: the affected test gets its status (timeout, crashed, oom) and
  a message naming the function, and every other test keeps its score;
- ``NO_LEAK``: nothing the sandbox returns contains a canary planted in the
  trusted side's environment, reference files or course folder.
"""
import inspect
import json
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from autograder import results
from autograder.engine import runner, sandbox
from conftest import submission
from solutions import regresion_lineal as reference

pytestmark = pytest.mark.slow
LIMITS = runner.Limits(check_timeout=5, cell_timeout=5, submission_timeout=120)
CANARY = "canario-7f3a9c"
REFERENCE = {name: inspect.getsource(f) for name, f in inspect.getmembers(reference, inspect.isfunction)}
# The wrong base: mse_gradients without its factor 2 (loses test_mse_gradients only).
WRONG = {**REFERENCE, "mse_gradients": REFERENCE["mse_gradients"].replace("(2 / n)", "(1 / n)")}


@dataclass
class Row:
    oracle: str                 # NO_GAIN, SAME_AS_HONEST, ISOLATED or NO_LEAK
    cell: str = ""              # a student cell added after the setup cell
    answers: dict = field(default_factory=dict)  # functions replaced in the base
    status: dict = field(default_factory=dict)   # ISOLATED: {item: status}
    lost: tuple = ()            # SAME_AS_HONEST: items the accident may cost


def forever(name, signature):
    return f"def {name}{signature}:\n    while True:\n        pass\n"


LINEAR = "def linear_forward(X, W, b):\n"
ROWS = {
    # A. Forging or hijacking the result channel
    "A1_fake_score_on_stdout": Row("NO_GAIN", 'print(\'{"score": 100}\'); print("10 passed, 0 failed")'),
    "A2_write_results_file": Row("NO_GAIN", "import pathlib\npathlib.Path(RESULTS).write_text('{\"score\": 1e9}')"),
    "A3_daemon_rewrites_results": Row("NO_GAIN", (
        "import os, time, pathlib\n"
        "if os.fork() == 0:\n    os.setsid(); time.sleep(3)\n"
        "    try:\n        pathlib.Path(RESULTS).write_text('{\"score\": 1e9}')\n    finally:\n        os._exit(0)\n")),
    "A4_overwrite_probe_files": Row("NO_GAIN", (
        "import autograder.probes.regresion_lineal as p\n"
        "try:\n    open(p.__file__, 'w').write('')\nexcept OSError:\n    pass\n")),
    "A5_shadow_numpy": Row("NO_GAIN", (
        "open('numpy.py', 'w').write('allclose = lambda *a, **k: True')\n"
        "import sys; sys.path.insert(0, '.'); sys.modules.pop('numpy', None)\n")),
    "A6_exit_zero_in_test": Row("NO_GAIN", answers={"mse_gradients": "def mse_gradients(X, Y, W, b):\n    import os\n    os._exit(0)\n"}),
    "A7_pickle_in_result": Row("NO_GAIN", (
        "import numpy as np, autograder.checks.wire as w\n"
        "def evil(data, path):\n    np.save(str(path) + '.npz', np.array([object()], dtype=object), allow_pickle=True)\n"
        "    open(str(path) + '.json', 'w').write('{\"ok\": {\"__array__\": 0}}')\n"
        "w.encode = evil\n")),
    "A8_patch_judge_in_sandbox": Row("NO_GAIN", (
        "import autograder.checks.dispatch as g, autograder.checks.judging as j\n"
        "g.judge = lambda *a, **k: (1.0, 'ok'); j.TOLERANCE['float32'] = 1e9; j.TOLERANCE['float64'] = 1e9\n")),
    # B. Same-process tampering (closed by the process boundary)
    "B1_patch_allclose": Row("NO_GAIN", (
        "import numpy as np, torch\nnp.allclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True\n"
        "np.testing.assert_allclose = lambda *a, **k: None\n")),
    "B2_override_builtins": Row("NO_GAIN", "import builtins\nbuiltins.abs = lambda x: 0\n"),
    "B3_suppress_tracebacks": Row("NO_GAIN", (
        "from IPython.core.interactiveshell import InteractiveShell\nInteractiveShell.showtraceback = lambda *a, **k: None\n"
        "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n")),
    "B4_steal_from_caller_frame": Row("NO_GAIN", answers={"mse_gradients": (
        "def mse_gradients(X, Y, W, b):\n    import sys\n    f = sys._getframe(1)\n"
        "    for name in ('expected', 'reference', 'ref'):\n        if name in f.f_locals:\n            return f.f_locals[name]\n"
        "    return (W * 0, b * 0)\n")}),
    "B5_scan_heap_for_reference": Row("NO_GAIN", answers={"mse_gradients": (
        "def mse_gradients(X, Y, W, b):\n    import gc, torch\n"
        "    found = [o for o in gc.get_objects() if isinstance(o, torch.Tensor) and o.shape == W.shape and o is not W]\n"
        "    return (found[-1] if found else W * 0, b * 0)\n")}),
    "B6_import_and_alter_judges": Row("NO_GAIN", (
        "try:\n    import autograder.judges.regresion_lineal as j\n    j.mse_gradients = lambda *a: None\nexcept ImportError:\n    pass\n")),
    # A forbidden autograd name, never run, in an otherwise correct mse_gradients; the probe's source reader
    # replaced to hide it: the trusted side reads the source from the notebook instead.
    "B8_forge_the_source_read": Row("NO_GAIN", (
        "import sys\nsys.modules['autograder.probes.regresion_lineal'].source_of = "
        "lambda ns, name: 'def mse_gradients(X, Y, W, b):\\n    pass\\n'\n"),
        answers={"mse_gradients": REFERENCE["mse_gradients"].replace(
            "    n = X.shape[0]\n", "    n = X.shape[0]\n    if False:\n        X.backward()\n")}),
    "B7_ignore_sigalrm_and_hang": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import signal\n"
        "    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    signal.alarm(0)\n    while True:\n        pass\n")},
        status={"test_make_regression_data": "timeout"}),
    # C. Value and type tricks
    "C1_always_equal_object": Row("NO_GAIN", answers={"mse_gradients": (
        "class A:\n    __eq__ = lambda s, o: True\n    shape = property(lambda s: (3, 1))\n"
        "def mse_gradients(X, Y, W, b):\n    return A(), A()\n")}),
    "C6_tensor_oddities_correct": Row("SAME_AS_HONEST", answers={"linear_forward": (
        LINEAR + "    out = (X @ W + b).T.contiguous().T\n    return out\n")}),
    "C8_oversized_output": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import torch\n    x = torch.zeros(10**5, 10**5)\n    return x, x, x, x\n")},
        status={"test_make_regression_data": "oom"}),
    # D. Process control
    "D1_sys_exit": Row("SAME_AS_HONEST", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import sys\n    sys.exit(0)\n")},
        lost=("test_make_regression_data",)),
    "D2_segfault": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import ctypes\n    ctypes.string_at(0)\n")},
        status={"test_make_regression_data": "crashed"}),
    "D2_kill_self": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n")},
        status={"test_make_regression_data": "crashed"}),
    "D3_ignore_interrupts_and_hang": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import signal\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "    while True:\n        try:\n            pass\n        except KeyboardInterrupt:\n            pass\n")},
        status={"test_make_regression_data": "timeout"}),
    "D4_orphaned_grandchild": Row("SAME_AS_HONEST", "import subprocess\nsubprocess.Popen(['sleep', '1000'])\n"),
    "D5_deadlock": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import threading\n    lock = threading.Lock()\n"
        "    lock.acquire()\n    lock.acquire()\n")}, status={"test_make_regression_data": "timeout"}),
    # E. Resource exhaustion
    "E1_memory_bomb": Row("ISOLATED", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    x = bytearray(10**11)\n")},
        status={"test_make_regression_data": "oom"}),
    "E2_fork_bomb": Row("SAME_AS_HONEST", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import os, time\n"
        "    for _ in range(100000):\n        if os.fork() == 0:\n            time.sleep(60)\n            os._exit(0)\n")},
        lost=("test_make_regression_data",)),
    "E3_output_flood": Row("SAME_AS_HONEST", "for i in range(200000):\n    print('spam', i)\n"),
    "E4_disk_filling": Row("SAME_AS_HONEST", (
        "try:\n    open('/tmp/big', 'wb').write(b'0' * 10**9)\nexcept OSError:\n    pass\n"
        "try:\n    open('big', 'wb').write(b'0' * 10**9)\nexcept OSError:\n    pass\n")),
    # F. Information leakage
    "F1_read_reference_and_judges": Row("NO_LEAK", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import glob, os\n    found = []\n"
        "    for pattern in (REPO + '/solutions/*.py', REPO + '/autograder/judges/*.py', REPO + '/source/*/*.ipynb',\n"
        "                    COURSE + '/*', '/root/*', '/home/*/*'):\n"
        "        for path in glob.glob(pattern):\n            try:\n                found.append(open(path, errors='replace').read())\n"
        "            except OSError:\n                pass\n    raise ValueError(' '.join(found)[-250:] or 'nada')\n")},
        lost=("test_make_regression_data",)),
    "F2_network": Row("NO_LEAK", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import urllib.request\n"
        "    raise ValueError(urllib.request.urlopen(URL, timeout=3).read().decode())\n")},
        lost=("test_make_regression_data",)),
    "F5_env_argv_proc": Row("NO_LEAK", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import os, glob\n    text = str(dict(os.environ))\n"
        "    for path in glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ'):\n        try:\n"
        "            text += open(path, 'rb').read().decode(errors='replace')\n        except OSError:\n            pass\n"
        "    raise ValueError(text[-280:])\n")}, lost=("test_make_regression_data",)),
    "F6_other_submissions": Row("NO_LEAK", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import glob\n"
        "    raise ValueError(str(glob.glob(COURSE + '/**', recursive=True))[-280:])\n")}, lost=("test_make_regression_data",)),
    "F7_outside_the_course": Row("NO_LEAK", answers={"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import glob\n    found = []\n"
        "    for path in glob.glob(ELSEWHERE + '/**', recursive=True) + glob.glob('/srv/**', recursive=True):\n"
        "        try:\n            found.append(path + open(path, errors='replace').read())\n"
        "        except OSError:\n            pass\n    raise ValueError(' '.join(found)[-250:] or 'nada')\n")},
        lost=("test_make_regression_data",)),
    # I. Interactive and environment hazards
    "I1_input": Row("SAME_AS_HONEST", "name = input('¿nombre? ')\n"),
    "I2_plt_pause": Row("SAME_AS_HONEST", "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show(); plt.pause(600)\n"),
    "I3_missing_package": Row("SAME_AS_HONEST", "import tensorflow\n"),
    "I4_long_training_cell": Row("SAME_AS_HONEST", "import time\ntime.sleep(600)\n"),
    # As in stock nbgrader, the visible tests that need autograd fail; the hidden checks re-enable it.
    "I6_no_grad_left_on": Row("SAME_AS_HONEST", "torch.set_grad_enabled(False)\n",
                              lost=("test_mse_loss", "test_mse_gradients", "test_autograd_gradients")),
    # J. ML-specific gaming
    "J1_seed_cherry_picking": Row("NO_GAIN", answers={"train_gd": REFERENCE["train_gd"].replace(
        "g = torch.Generator().manual_seed(seed)", "g = torch.Generator().manual_seed(8675309)")}),
}
SKIPPED = {
    "C2_C3_C4_C5_C9": "covered value by value in tests/test_wire.py (the judge side of the boundary)",
    "C7_in_place_mutation": "covered by the mutant suites (loss_in_place, *intact checks)",
    "C10_student_checkpoint": "nothing loads student files: no assignment asks for checkpoints",
    "E5_cpu_oversubscription": "workers run with OMP_NUM_THREADS=1; no cgroup cpu quota here to test an override against",
    "E6_gpu": "grading runs on the CPU; there is no GPU on these machines",
    "F3_feedback_channel": "messages never echo reference values: asserted for every mutant in the grader suites",
    "F4_oracle_across_submissions": "needs a submission server with rate limits; hidden inputs rotate with AUTOGRADER_SECRET",
    "I5_nondeterminism": "graders pass their own seeds; grading twice is byte-identical (test_grading_command)",
    "J2_J3_train_on_test_pretrained": "apply to 04_mnist: labels stay on the trusted side, no network, no torchvision",
    "J4_forbidden_api": "mse_gradients' autograd ban is tested by the mutant suite (grad_backward, grad_torch_func…)",
}


@pytest.fixture(scope="module")
def server():
    """An HTTP server on the host's 127.0.0.1 that answers with the canary."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(CANARY.encode())

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", hits
    httpd.shutdown()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder (the grading process's cwd) holding a gradebook and another student's work."""
    folder = tmp_path_factory.mktemp("course")
    (folder / "gradebook.db").write_text(CANARY)
    (folder / "submitted" / "otra").mkdir(parents=True)
    (folder / "submitted" / "otra" / "notas.txt").write_text(CANARY)
    return folder


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """Scores of the correct and the wrong base, graded honestly."""
    folder = tmp_path_factory.mktemp("honest")
    return {name: scores(runner.score_notebook("01_regresion_lineal", submission(folder / f"{name}.ipynb", answers), limits=LIMITS))
            for name, answers in (("correct", REFERENCE), ("wrong", WRONG))}


def scores(result):
    return {test["name"]: test["score"] for test in result["tests"]}


@pytest.fixture(scope="module")
def elsewhere():
    """Another course's submissions under /var/tmp, and a file under /srv: outside this course, /tmp and
    the repository, where a deny-list of folders would show them."""
    folder = Path(tempfile.mkdtemp(prefix="pia-otro-curso-", dir="/var/tmp"))
    (folder / "submitted" / "otro").mkdir(parents=True)
    (folder / "submitted" / "otro" / "notas.txt").write_text(CANARY)
    srv = Path("/srv") / folder.name
    srv.parent.mkdir(exist_ok=True)  # a standard folder, absent from some minimal images
    srv.write_text(CANARY)
    yield folder
    shutil.rmtree(folder)
    srv.unlink()


def constants(results_file, course, url, elsewhere):
    return (f"RESULTS = {str(results_file)!r}\nREPO = {str(runner.assignments.REPO)!r}\nCOURSE = {str(course)!r}\n"
            f"URL = {url!r}\nELSEWHERE = {str(elsewhere)!r}\n")


# Rows that run alone under pytest-xdist: the fork bomb uses up RLIMIT_NPROC of the sandbox's uid, which
# every sandboxed worker on the machine shares.
SERIAL = {"E2_fork_bomb"}


@pytest.mark.parametrize("row_id", [pytest.param(row_id, marks=pytest.mark.serial) if row_id in SERIAL else row_id
                                    for row_id in sorted(ROWS)])
def test_attack(row_id, tmp_path, honest, course, server, elsewhere, monkeypatch):
    """Does the grader meet this docs/attacks.md row's oracle?"""
    row = ROWS[row_id]
    url, hits = server
    monkeypatch.setenv("AUTOGRADER_SECRET", CANARY)
    monkeypatch.chdir(course)
    results_path = tmp_path / "results.json"
    base = WRONG if row.oracle == "NO_GAIN" else REFERENCE
    cells = [("setup", constants(results_path, course, url, elsewhere))] + ([("setup", row.cell)] if row.cell else [])
    notebook = submission(tmp_path / "attack.ipynb", {**base, **row.answers}, extra=cells)
    result = runner.score_notebook("01_regresion_lineal", notebook, limits=LIMITS)
    results.write(result, results_path)
    got = scores(result)
    assert result["status"] == "graded", result
    assert result["isolation"] == sandbox.isolation()
    if row.oracle == "NO_GAIN":
        assert all(got[item] <= score for item, score in honest["wrong"].items()), (honest["wrong"], result)
    elif row.oracle in ("SAME_AS_HONEST", "NO_LEAK"):
        for item, score in honest["correct"].items():
            assert got[item] == (0 if item in row.lost else score), (item, result)
    elif row.oracle == "ISOLATED":
        by_name = {t["name"]: t for t in result["tests"]}
        for item, status in row.status.items():
            assert by_name[item]["status"] == status, by_name[item]
            assert item.removeprefix("test_") in by_name[item]["output"]
        for item, score in honest["correct"].items():
            if item not in row.status:
                assert got[item] == score, (item, by_name[item])
    text = json.dumps(result, ensure_ascii=False)
    assert CANARY not in text and "AUTOGRAD_NAMES" not in text and "Reference for 01" not in text
    if row_id.startswith("F2") and sandbox.isolation() == "bubblewrap":
        assert hits == []
        assert "la red está desactivada" in result["tests"][0]["output"]
    if row_id.startswith("A3"):
        import time
        time.sleep(4)  # the daemon would have written by now
    assert json.loads(results_path.read_text()) == result


@pytest.mark.parametrize("row_id", sorted(SKIPPED))
def test_row_not_testable_here(row_id):
    """Rows this package cannot test here, each with its reason (never silently)."""
    pytest.skip(SKIPPED[row_id])


def test_sandbox_is_bubblewrap_where_it_runs():
    """Where bwrap is installed (CI installs it), is the sandbox really used?"""
    import shutil
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed here")
    assert sandbox.isolation() == "bubblewrap"


def test_sweep_spares_only_the_job_being_read(tmp_path):
    """Does the zygote's sweep empty the sandbox's /tmp but the job folder the trusted side still reads
    (a race that lost the last steps' records under load)?"""
    from autograder.engine import zygote

    job = tmp_path / "pia-zygote-x" / "job-1"
    (job / "cwd").mkdir(parents=True)
    (job / "step-3").write_text("record")
    for junk in (tmp_path / "pia-zygote-x" / "cwd" / "numpy.py", tmp_path / "other" / "file", tmp_path / "loose"):
        junk.parent.mkdir(parents=True, exist_ok=True)
        junk.write_text("junk")
    (tmp_path / "link").symlink_to(tmp_path / "pia-zygote-x")
    zygote.clear(tmp_path, job)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "pia-zygote-x", "pia-zygote-x/job-1", "pia-zygote-x/job-1/cwd", "pia-zygote-x/job-1/step-3"]


def test_a_reply_buffered_with_started_is_not_missed(tmp_path):
    """When the zygote's "exited" arrives in the same read as its "started" (a fast child), does the
    trusted side see it at once, instead of waiting for a deadline (which turned a graded stub into an
    error after the 600 s submission timeout)?"""
    import subprocess
    import sys
    import time

    from autograder.engine import pool

    fake = "import sys; sys.stdin.readline(); sys.stdout.write('{\"started\": true}\\n{\"exited\": 0}\\n')"
    zygote = pool.Zygote(runner.Limits(), lambda root: {}, None)
    zygote.process = subprocess.Popen([sys.executable, "-c", fake + "; sys.stdout.flush(); sys.stdin.read()"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    work = zygote.root / "job"
    work.mkdir()
    started = time.monotonic()
    try:
        status = zygote.run(work, lambda event: None, lambda: started + 20)
    finally:
        zygote.stop()
    assert status == "crashed" and time.monotonic() - started < 10  # no "done" event: the child died


def test_D6_planted_link_and_killed_zygote(tmp_path):
    """Does a link planted in the worker's folder, followed by killing the worker so that it restarts,
    leave the host file it points to untouched (root never chowns through a link)?"""
    import os

    if os.geteuid() != 0 or sandbox.isolation() != "bubblewrap":
        pytest.skip("the trusted side hands folders to the sandbox's uid only as root, with bubblewrap")
    host = Path(tempfile.mkdtemp(prefix="pia-host-", dir="/var/tmp")) / "secreto.txt"
    host.write_text(CANARY)
    host.chmod(0o600)
    plant = {"make_regression_data": (
        "def make_regression_data(n, d, K, sigma=0.1, seed=0):\n    import os, signal\n"
        "    zygote_folder = os.path.dirname(os.path.dirname(os.getcwd()))\n"
        "    os.symlink(HOST, os.path.join(zygote_folder, 'enlace'))\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n")}
    try:
        for name in ("plant", "after"):  # the second grading restarts the killed worker
            answers = {**REFERENCE, **plant} if name == "plant" else REFERENCE
            notebook = submission(tmp_path / f"{name}.ipynb", answers, extra=[("setup", f"HOST = {str(host)!r}\n")])
            result = runner.score_notebook("01_regresion_lineal", notebook, limits=LIMITS)
        assert result["status"] == "graded", result  # the planting one may be an error (its worker died)
        info = host.stat()
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (0, 0, 0o600)
        assert host.read_text() == CANARY
    finally:
        shutil.rmtree(host.parent)


def _graded_twice(tmp_path, attack_cell):
    """(attacker's result, the next honest submission's result), graded one after the other on the same warm
    worker: the attacker's setup cell is ``attack_cell``; the honest one raises with whatever it finds."""
    found = ("import ctypes, glob\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n"
             "shmid = libc.shmget(0x5049, 0, 0)\nfound = glob.glob('/dev/shm/*')\n"
             "if shmid >= 0:\n    found.append(ctypes.string_at(libc.shmat(shmid, None, 0), 14).decode())\n")
    reader = {"make_regression_data": REFERENCE["make_regression_data"].replace(
        "    \"\"\"", "    if found:\n        raise ValueError(str(found))\n    \"\"\"", 1)}
    results_of = []
    for name, cell, answers in (("attack", attack_cell, REFERENCE), ("next", found, {**REFERENCE, **reader})):
        notebook = submission(tmp_path / f"{name}.ipynb", answers, extra=[("setup", cell)])
        results_of.append(runner.score_notebook("01_regresion_lineal", notebook, limits=LIMITS))
    return results_of


def test_D7_child_relimits_the_worker(tmp_path, honest):
    """Does a submission that re-limits every process it can name cost only itself, the next submission on
    the same warm worker keeping its exact score?  (A signal that kills the worker costs only the sender:
    the worker is replaced.)"""
    attack = ("import os, resource\nfor pid in range(1, 200):\n    if pid == os.getpid():\n        continue\n"
              "    for which, value in ((resource.RLIMIT_NPROC, (1, 1)), (resource.RLIMIT_AS, (2**25, 2**25))):\n"
              "        try:\n            resource.prlimit(pid, which, value)\n        except (OSError, ValueError):\n"
              "            pass\n")
    _, after = _graded_twice(tmp_path, attack)
    assert after["status"] == "graded" and scores(after) == honest["correct"], after


def test_F8_ipc_and_shared_memory_left_for_the_next_submission(tmp_path, honest):
    """Are SysV shared memory and /dev/shm files one submission leaves invisible to the next one on the same
    warm worker?"""
    attack = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n"
              f"shmid = libc.shmget(0x5049, 4096, 0o1666)\nctypes.memmove(libc.shmat(shmid, None, 0), {CANARY!r}.encode(), 14)\n"
              f"open('/dev/shm/pia-canario', 'w').write({CANARY!r})\n")
    attacked, after = _graded_twice(tmp_path, attack)
    assert attacked["status"] == "graded"
    assert CANARY not in json.dumps(after, ensure_ascii=False)
    assert after["status"] == "graded" and scores(after) == honest["correct"], after
