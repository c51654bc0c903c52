"""Probes for 03_ecuaciones, and the hidden inputs its judges regenerate.

The models that ``train_solver`` and ``predict_roots`` receive are this
module's ``ProbeNet``: the probe owns them, so a mistake in the student's
``QuadraticSolver`` never costs those items, and the net records what each
forward call saw (input, output, mode, parameters).
"""
import functools
import inspect
import math
import sys
import types

import numpy as np
import torch
from torch import nn

from autograder.checks.probing import call, clone, intact, linear_calls, scramble_global_rngs, StudentError
from autograder.checks.wire import describe

# train_solver: n rows, batches of 4 (4 + 4 + 2), 3 epochs, a non-default lr.
TRAIN_ROWS, TRAIN_BATCH, TRAIN_EPOCHS, TRAIN_LR = 10, 4, 3, 0.003
SMALL = (3, 8, 8, 2)
# predict_roots: a 3-64-64-2 tanh net trained here with Adam (lr 1e-2, batches
# of 128) for LEARNER_STEPS steps; 200 steps reach a test MAE of 0.09–0.15
# (40 seeds), far below the judge's threshold.
LEARNER = (3, 64, 64, 2)
LEARNER_ROWS, LEARNER_STEPS, LEARNER_BATCH, LEARNER_LR = 2000, 200, 128, 1e-2
TEST_ROWS = 500
# predict_roots also gets the trained net with its two outputs swapped, on this many rows.
SWAPPED_ROWS = 40
# quadratic_roots: rows of a vectorised call versus a call on more rows.
TRACE_ROWS = (10, 50)
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def draw_equations(rng, n):
    """n rows (a, b, c) of the contract's ranges with b² - 4ac >= 0, float64, by rejection."""
    kept = np.empty((0, 3))
    while len(kept) < n:
        a = rng.choice([-1.0, 1.0], 2 * n) * rng.uniform(0.5, 2.0, 2 * n)
        b, c = rng.uniform(-4.0, 4.0, (2, 2 * n))
        rows = np.stack([a, b, c], axis=1)
        kept = np.concatenate([kept, rows[b * b - 4 * a * c >= 0]])
    return kept[:n]


def closed_form(coefs):
    """Ascending real roots (n, 2) of float64 rows (a, b, c) with b² - 4ac >= 0."""
    a, b, c = coefs.T
    root = np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))
    return np.sort(np.stack([(-b - root) / (2 * a), (-b + root) / (2 * a)], axis=1), axis=1)


def equations(seed, n):
    """Hidden equations: coefs (n, 3) and their ascending roots (n, 2), float32 tensors."""
    coefs = draw_equations(np.random.default_rng(seed), n)
    return (torch.tensor(coefs, dtype=torch.float32),
            torch.tensor(closed_form(coefs), dtype=torch.float32))


def root_cases(seed):
    """Rows for quadratic_roots, float64: random equations, double roots given exactly and
    with inexact coefficients (b² - 4ac a rounding away from 0), b = 0 and c = 0."""
    rng = np.random.default_rng(seed)
    sign = lambda k: rng.choice([-1.0, 1.0], k)
    a = lambda k: sign(k) * rng.uniform(0.5, 2.0, k)
    exact_a, exact_r = sign(8) * rng.choice([0.5, 1.0, 1.5, 2.0], 8), rng.integers(-8, 9, 8) / 4
    double_a, double_r = a(40), rng.uniform(-3.0, 3.0, 40)
    even_a = a(8)
    zero_a, zero_b = a(4), rng.uniform(-4.0, 4.0, 4)
    rows = np.concatenate([
        draw_equations(rng, 48),
        np.stack([exact_a, -2 * exact_a * exact_r, exact_a * exact_r ** 2], axis=1),
        np.stack([double_a, -2 * double_a * double_r, double_a * double_r ** 2], axis=1),
        np.stack([even_a, np.zeros(8), -np.sign(even_a) * rng.uniform(0.1, 4.0, 8)], axis=1),
        np.stack([zero_a, zero_b, np.zeros(4)], axis=1),
    ])
    return rows[rng.permutation(len(rows))]


class ProbeNet(nn.Module):
    """An MLP of ``sizes`` (tanh between layers, inputs divided by 4) seeded by ``seed``.

    Each forward call appends to ``log`` what it saw, as plain descriptions:
    with ``recording == "modes"`` only ``training``; with ``"all"`` also the
    input, the output, whether grad was enabled and the parameters before the call.
    """

    def __init__(self, seed, sizes=SMALL):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            bound = 1 / math.sqrt(fan_in)  # nn.Linear's default range
            self.weights.append(nn.Parameter(bound * (2 * torch.rand(fan_in, fan_out, generator=g) - 1)))
            self.biases.append(nn.Parameter(bound * (2 * torch.rand(fan_out, generator=g) - 1)))
        self.recording, self.log = None, []

    def flat(self):
        return torch.cat([p.detach().reshape(-1) for p in self.parameters()]).clone()

    def forward(self, coefs):
        before = self.flat() if self.recording == "all" else None
        x = coefs / 4
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ W + b
            if i < len(self.weights) - 1:
                x = torch.tanh(x)
        if self.recording == "all":
            self.log.append({"input": describe(coefs), "output": describe(x), "training": self.training,
                             "grad": torch.is_grad_enabled(), "params": describe(before)})
        elif self.recording == "modes":
            self.log.append({"training": self.training})
        return x


def attempt(name, function, *args, **kwargs):
    """Call a student-provided callable that is not a notebook name (a model, a method),
    with the same messages as ``call``."""
    return call({name: function}, name, *args, **kwargs)


def make_quadratic_data(ns, seed):
    runs = {}
    for name, state, n, s in [("a", 1, 2000, seed), ("b", 2, 2000, seed), ("c", 1, 2000, seed + 1),
                              ("small", 3, 7, seed), ("one", 4, 1, seed)]:
        scramble_global_rngs(state)
        runs[name] = describe(call(ns, "make_quadratic_data", n, seed=s))
    return runs


def student_files(ns):
    """The file names of the code defined in the notebook: its functions and class methods."""
    files = set()
    for value in list(ns.values()):
        members = vars(value).values() if isinstance(value, type) else [value]
        for member in members:
            if isinstance(member, types.FunctionType) and member.__module__ == ns.get("__name__"):
                files.add(member.__code__.co_filename)
    return files


def traced_events(ns, name, *args):
    """Python calls and lines executed in notebook code while ``name(*args)`` runs.

    A vectorised function runs the same lines for 10 rows as for 50; a Python
    loop over the rows (``for``, a comprehension, ``np.vectorize``,
    ``apply_along_axis``) runs more.
    """
    files, count = student_files(ns), [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    def tracer(frame, event, arg):
        if frame.f_code.co_filename not in files:
            return None
        count[0] += 1
        return local

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        call(ns, name, *args)
    finally:
        sys.settrace(previous)
    return count[0]


def quadratic_roots(ns, seed):
    cases = []
    for dtype in DTYPES:
        coefs = torch.tensor(root_cases(seed), dtype=DTYPES[dtype])
        passed = clone({"coefs": coefs})
        roots = call(ns, "quadratic_roots", passed["coefs"])
        cases.append({"roots": describe(roots), "intact": intact({"coefs": coefs}, passed)})
    rows = draw_equations(np.random.default_rng(seed + 1), max(TRACE_ROWS))
    events = [traced_events(ns, "quadratic_roots", torch.tensor(rows[:n])) for n in TRACE_ROWS]
    return {"cases": cases, "events": events}


def QuadraticSolver(ns, seed):
    coefs, _ = equations(seed, 16)
    rng = np.random.default_rng(seed + 1)
    x, y = (torch.tensor(rng.uniform(-4.0, 4.0, (64, 3)), dtype=torch.float32) for _ in range(2))
    cases = []
    for state, hidden in [(1, 5), (2, 12), (3, None)]:
        scramble_global_rngs(state)
        model = call(ns, "QuadraticSolver") if hidden is None else call(ns, "QuadraticSolver", hidden=hidden)
        if not isinstance(model, nn.Module):
            cases.append({"module": False, "type": type(model).__name__})
            continue
        attempt("QuadraticSolver.eval", model.eval)
        output, layers = linear_calls(model, coefs.clone(), name="QuadraticSolver")
        with torch.no_grad():
            fx, fy, fm = (attempt("QuadraticSolver.forward", model, p) for p in (x, y, (x + y) / 2))
        cases.append({"module": True, "output": describe(output), "layers": layers,
                      "fx": describe(fx), "fy": describe(fy), "fmid": describe(fm)})
    return cases


def _training_run(ns, seed, state, train_seed, epochs=TRAIN_EPOCHS, batch_size=TRAIN_BATCH):
    coefs, roots = equations(seed, TRAIN_ROWS)
    net, passed = ProbeNet(seed), clone({"coefs": coefs, "roots": roots})
    scramble_global_rngs(state)
    net.recording = "all"
    losses = call(ns, "train_solver", net, passed["coefs"], passed["roots"], epochs=epochs, lr=TRAIN_LR,
                  batch_size=batch_size, seed=train_seed)
    net.recording = None
    return {"losses": describe(losses), "forwards": net.log, "final": describe(net.flat()),
            "intact": intact({"coefs": coefs, "roots": roots}, passed)}


def _later_run(ns, seed, *args, **kwargs):
    """A run judged after the first one: its error is recorded, so the judge reports the first run's fault first."""
    try:
        return _training_run(ns, seed, *args, **kwargs)
    except StudentError as exc:
        return {"error": str(exc)}


def train_solver(ns, seed):
    runs = {"steps": _training_run(ns, seed, 1, seed), "again": _later_run(ns, seed, 2, seed),
            "other": _later_run(ns, seed, 1, seed + 1),
            "one_batch": _later_run(ns, seed, 3, seed, epochs=2, batch_size=16)}
    try:
        parameters = inspect.signature(ns["train_solver"]).parameters
        runs["defaults"] = {name: describe(p.default) for name, p in parameters.items()
                            if p.default is not inspect.Parameter.empty}
    except (TypeError, ValueError):
        runs["defaults"] = None
    return runs


def trained_learner(seed):
    """A fresh LEARNER net holding the parameters that Adam and the MSE reach on hidden equations."""
    net = ProbeNet(seed, LEARNER)
    with torch.no_grad():
        for parameter, trained in zip(net.parameters(), _learned_parameters(seed)):
            parameter.copy_(trained)
    return net


@functools.lru_cache(maxsize=2)
def _learned_parameters(seed):
    """Trained once per process and seed; callers get copies, so a student's code cannot alter it."""
    coefs, roots = equations(seed, LEARNER_ROWS)
    net = ProbeNet(seed, LEARNER)
    optimizer = torch.optim.Adam(net.parameters(), lr=LEARNER_LR)
    g = torch.Generator().manual_seed(seed)
    step = 0
    with torch.enable_grad():  # whatever grad mode the notebook left behind
        while step < LEARNER_STEPS:
            for rows in torch.randperm(LEARNER_ROWS, generator=g).split(LEARNER_BATCH):
                optimizer.zero_grad()
                nn.functional.mse_loss(net(coefs[rows]), roots[rows]).backward()
                optimizer.step()
                step += 1
                if step == LEARNER_STEPS:
                    break
    return tuple(parameter.detach().clone() for parameter in net.parameters())


def _prediction(ns, net, coefs):
    net.eval()
    with torch.no_grad():
        expected = net(coefs)
    net.train()
    passed = clone({"coefs": coefs})
    net.recording = "modes"
    prediction = call(ns, "predict_roots", net, passed["coefs"])
    net.recording = None
    return {"roots": describe(prediction), "outputs": describe(expected), "forwards": net.log,
            "intact": intact({"coefs": coefs}, passed)}


def predict_roots(ns, seed):
    test, _ = equations(seed + 1, TEST_ROWS)
    swapped = trained_learner(seed)
    with torch.no_grad():  # outputs (x2, x1): descending wherever the trained net ascends
        swapped.weights[-1].copy_(swapped.weights[-1].flip(-1))
        swapped.biases[-1].copy_(swapped.biases[-1].flip(-1))
    return {"swapped": _prediction(ns, swapped, test[:SWAPPED_ROWS]),
            "trained": _prediction(ns, trained_learner(seed), test)}
