"""Probes for 02_xor, and the hidden inputs its judges regenerate.

One mistake, one item: while a probe calls the function under test, every
other contract function in the notebook namespace is replaced by a trusted
stand-in (the contract's formulas, below), so a wrong ``sigmoid`` costs only
``test_sigmoid`` even when the student's ``xor_forward`` calls it.
"""
import warnings

import numpy as np
import torch

from autograder.checks.judging import MAX_MESSAGE
from autograder.checks.probing import (call, clone, intact, linear_calls, scramble_global_rngs, StudentError,
                                      using)
from autograder.checks.wire import describe

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)

# train_xor_numpy's learning run (3 hidden neurons) starts where the student's
# seeded draw puts it.  With these seeds the reference's own start (default_rng)
# learns XOR by epoch 45 at lr 5; a start from another generator learns by
# epoch 250 with probability 0.97 (measured on 600 N(0, 1) starts), and the
# judge replays the contract's recipe from it before asking the student to learn.
START_SEEDS = (14, 25, 26, 59, 82, 136, 155)
NUMPY_LEARNING_LR = 5.0
NUMPY_EPOCHS = 500
# train_xor_torch's learning run starts from weights 3·N(0, 1) of these
# default_rng seeds (biases 0), from which the reference, at the default lr 1.0,
# learns XOR by epoch 90.
TORCH_STARTS = (133, 136, 232, 317, 318, 262, 25, 82)
TORCH_START_SCALE = 3.0
TORCH_EPOCHS = 250

# sigmoid: the contract's extremes (|z| ≤ 1000, around exp's overflow at 709.8
# and underflow at -745) and random values of three shapes.
EXTREMES = np.array([-1000.0, -745.5, -709.9, -100.0, -36.9, -20.0, -1e-9, 0.0,
                     1e-9, 20.0, 36.9, 100.0, 709.9, 745.5, 1000.0])
# (n, h, XOR rows?) for xor_forward and xor_backward: other batches and widths.
FORWARD_CASES = [(4, 2, True), (7, 3, False), (1, 5, False), (10, 3, False)]
BACKWARD_CASES = [(4, 3, True), (6, 2, False), (5, 5, False)]
# (n, hidden, lr, epochs, XOR data?) for train_xor_torch's step-by-step runs.
TORCH_STEP_RUNS = [(4, 3, 0.3, 3, True), (6, 2, 2.0, 2, False)]
BUILD_CASES = [(2, 4), (3, 7), (5, 1)]  # (hidden, n)


# -- the contract's formulas, standing in for the functions not under test ----

def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sigmoid_derivative(a):
    return a * (1 - a)


def _xor_forward(X, W1, b1, W2, b2):
    A1 = _sigmoid(X @ W1 + b1)
    return A1, _sigmoid(A1 @ W2 + b2)


def _xor_backward(X, Y, W2, A1, A2):
    delta_out = (A2 - Y) * _sigmoid_derivative(A2)
    delta_hidden = delta_out @ W2.T * _sigmoid_derivative(A1)
    return (X.T @ delta_hidden, delta_hidden.sum(axis=0, keepdims=True),
            A1.T @ delta_out, delta_out.sum(axis=0, keepdims=True))


STAND_INS = {"sigmoid": _sigmoid, "sigmoid_derivative": _sigmoid_derivative,
             "xor_forward": _xor_forward, "xor_backward": _xor_backward}


def stand_ins_except(name):
    return {other: function for other, function in STAND_INS.items() if other != name}


# -- hidden inputs ------------------------------------------------------------

def sigmoid_inputs(seed):
    rng = np.random.default_rng(seed)
    return [EXTREMES, rng.uniform(-1000, 1000, (4, 6)), rng.normal(0, 5, (15,)), rng.normal(0, 40, (2, 3, 2))]


def activations(seed):
    """Activations a = σ(z) of three shapes, exact 0, ½ and 1 included."""
    rng = np.random.default_rng(seed)
    return [np.array([0.0, 1e-300, 0.25, 0.5, 0.75, 1.0]), rng.uniform(0, 1, (6, 3)), rng.uniform(0, 1, (4, 1))]


def network(seed, n, hidden, xor_rows):
    """X (n, 2), Y (n, 1) in {0, 1} and random parameters of a 2 → hidden → 1 network, float64."""
    rng = np.random.default_rng(seed)
    X, Y = (XOR_X.copy(), XOR_Y.copy()) if xor_rows else (rng.normal(0, 1, (n, 2)), rng.integers(0, 2, (n, 1)) * 1.0)
    return {"X": X, "Y": Y, "W1": rng.normal(0, 1.5, (2, hidden)), "b1": rng.normal(0, 1, (1, hidden)),
            "W2": rng.normal(0, 1.5, (hidden, 1)), "b2": rng.normal(0, 1, (1, 1))}


def torch_start(seed, hidden, zero_biases=False, scale=1.0):
    """Starting weights {"W1" (hidden, 2), "b1" (hidden,), "W2" (1, hidden), "b2" (1,)} float32,
    in nn.Linear's layout: scale·N(0, 1) weights from ``default_rng(seed)`` (W1 drawn as the
    NumPy (2, hidden) matrix, then transposed), biases N(0, 0.5²) or zeros."""
    rng = np.random.default_rng(seed)
    W1, W2 = scale * rng.standard_normal((2, hidden)).T, scale * rng.standard_normal((hidden, 1)).T
    b1, b2 = (np.zeros(hidden), np.zeros(1)) if zero_biases else (rng.normal(0, 0.5, hidden), rng.normal(0, 0.5, 1))
    return {key: torch.tensor(value, dtype=torch.float32) for key, value in
            {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}


def torch_data(seed, n, xor_rows):
    """X (n, 2) and Y (n, 1) float32: the XOR table, or N(0, 1) inputs with targets in [0, 1]."""
    if xor_rows:
        return torch.tensor(XOR_X, dtype=torch.float32), torch.tensor(XOR_Y, dtype=torch.float32)
    rng = np.random.default_rng(seed)
    return (torch.tensor(rng.normal(0, 1, (n, 2)), dtype=torch.float32),
            torch.tensor(rng.uniform(0, 1, (n, 1)), dtype=torch.float32))


def torch_net(start):
    """A 2 → h → 1 sigmoid network holding ``start`` (the probe's own model, not the student's)."""
    hidden = start["W1"].shape[0]
    model = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.Sigmoid(),
                                torch.nn.Linear(hidden, 1), torch.nn.Sigmoid())
    with torch.no_grad():
        for layer, w, b in ((model[0], "W1", "b1"), (model[2], "W2", "b2")):
            layer.weight.copy_(start[w])
            layer.bias.copy_(start[b])
    return model


def torch_parameters(model):
    return {"W1": model[0].weight, "b1": model[0].bias, "W2": model[2].weight, "b2": model[2].bias}


# -- probes -------------------------------------------------------------------

def sigmoid(ns, seed):
    results = []
    for z in sigmoid_inputs(seed):
        passed = clone({"z": z})
        # Overflow and invalid values warn whatever np.seterr the notebook set; an
        # np.errstate inside the student's function still takes precedence.
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", invalid="warn", divide="ignore", under="ignore"):
            warnings.simplefilter("always")
            s = call(ns, "sigmoid", passed["z"])
        results.append({"s": describe(s), "intact": intact({"z": z}, passed),
                        "warnings": sorted({str(w.message)[:80] for w in caught
                                            if issubclass(w.category, RuntimeWarning)})[:3]})
    return results


def sigmoid_derivative(ns, seed):
    results = []
    with using(ns, stand_ins_except("sigmoid_derivative")):
        for a in activations(seed):
            passed = clone({"a": a})
            d = call(ns, "sigmoid_derivative", passed["a"])
            results.append({"d": describe(d), "intact": intact({"a": a}, passed)})
    return results


def xor_forward(ns, seed):
    results = []
    with using(ns, stand_ins_except("xor_forward")):
        for i, (n, hidden, xor_rows) in enumerate(FORWARD_CASES):
            case = network(seed + i, n, hidden, xor_rows)
            del case["Y"]
            passed = clone(case)
            out = call(ns, "xor_forward", passed["X"], passed["W1"], passed["b1"], passed["W2"], passed["b2"])
            results.append({"out": describe(out), "intact": intact(case, passed)})
    return results


def xor_backward(ns, seed):
    """The student's gradients at activations from the contract's forward pass."""
    results = []
    with using(ns, stand_ins_except("xor_backward")):
        for i, (n, hidden, xor_rows) in enumerate(BACKWARD_CASES):
            case = network(seed + i, n, hidden, xor_rows)
            A1, A2 = _xor_forward(case["X"], case["W1"], case["b1"], case["W2"], case["b2"])
            inputs = {"X": case["X"], "Y": case["Y"], "W2": case["W2"], "A1": A1, "A2": A2}
            passed = clone(inputs)
            grads = call(ns, "xor_backward", passed["X"], passed["Y"], passed["W2"], passed["A1"], passed["A2"])
            results.append({"grads": describe(grads), "intact": intact(inputs, passed)})
    return results


def train_xor_numpy(ns, seed):
    """Starts (lr=0 leaves every step at the start), seeded or not, short runs to replay
    step by step (one with the default lr), and a learning run from one of START_SEEDS."""
    learn_seed = START_SEEDS[seed % len(START_SEEDS)]
    runs = {}
    data = clone({"XOR_X": XOR_X, "XOR_Y": XOR_Y})

    def train(state, **kwargs):
        if state is not None:
            scramble_global_rngs(state)
        return describe(call(ns, "train_xor_numpy", **kwargs))

    with using(ns, {**stand_ins_except("train_xor_numpy"), **data}):
        runs["start"] = train(1, hidden=3, lr=0.0, epochs=1, seed=seed)
        runs["again"] = train(2, hidden=3, lr=0.0, epochs=1, seed=seed)
        runs["other"] = train(1, hidden=3, lr=0.0, epochs=1, seed=seed + 1)
        runs["wide"] = train(3, hidden=40, lr=0.0, epochs=1, seed=seed)
        runs["defaults"] = train(None, lr=0.0, epochs=1)
        runs["steps_start"] = train(4, hidden=2, lr=0.0, epochs=1, seed=seed)
        runs["steps"] = train(5, hidden=2, lr=0.7, epochs=3, seed=seed)
        runs["default_lr"] = train(1, hidden=3, epochs=2, seed=seed)
        runs["learn_start"] = train(None, hidden=3, lr=0.0, epochs=1, seed=learn_seed)
        runs["learn"] = train(None, hidden=3, lr=NUMPY_LEARNING_LR, epochs=NUMPY_EPOCHS, seed=learn_seed)
        runs["data_intact"] = intact({"XOR_X": XOR_X, "XOR_Y": XOR_Y}, ns)
    return runs


def network_description(model, inputs, what):
    """The output of ``model(inputs)`` and the nn.Linear layers forward used, described."""
    if not isinstance(model, torch.nn.Module):
        return {"module": False, "type": describe(model)["type"]}
    try:
        with torch.no_grad():
            output, layers = linear_calls(model, inputs)
    except Exception as exc:
        raise StudentError(f"{what}: el modelo lanzó {type(exc).__name__} al aplicarlo a X: {exc}"[:MAX_MESSAGE]) from None
    return {"module": True, "output": describe(output), "layers": layers}


def build_xor_net(ns, seed):
    runs = []
    for i, (hidden, n) in enumerate(BUILD_CASES):
        scramble_global_rngs(seed + i)
        X, _ = torch_data(seed + i, n, xor_rows=False)
        runs.append(network_description(call(ns, "build_xor_net", hidden), X, f"build_xor_net({hidden})"))
    X, _ = torch_data(seed, 4, xor_rows=True)
    default = network_description(call(ns, "build_xor_net"), X, "build_xor_net()")
    first, second = [], []
    for state, store in ((1, first), (2, second)):
        scramble_global_rngs(state)
        model = call(ns, "build_xor_net", 3)
        if isinstance(model, torch.nn.Module):
            store.extend(p.detach().clone() for p in model.parameters())
    reseeds = bool(first) and len(first) == len(second) and all(
        a.shape == b.shape and torch.equal(a, b) for a, b in zip(first, second))
    return {"cases": runs, "default": default, "reseeds": reseeds}


def train_xor_torch(ns, seed):
    runs = []
    for i, (n, hidden, lr, epochs, xor_rows) in enumerate(TORCH_STEP_RUNS):
        X, Y = torch_data(seed + i, n, xor_rows)
        model = torch_net(torch_start(seed + i, hidden))
        passed = clone({"X": X, "Y": Y})
        losses = call(ns, "train_xor_torch", model, passed["X"], passed["Y"], lr=lr, epochs=epochs)
        runs.append({"losses": describe(losses), "params": describe(torch_parameters(model)),
                     "intact": intact({"X": X, "Y": Y}, passed)})
    X, Y = torch_data(seed, 4, xor_rows=True)
    start = torch_start(TORCH_STARTS[seed % len(TORCH_STARTS)], 3, zero_biases=True, scale=TORCH_START_SCALE)
    model = torch_net(start)
    losses = call(ns, "train_xor_torch", model, X, Y, epochs=TORCH_EPOCHS)
    with torch.no_grad():
        output = model(X)
    return {"steps": runs, "learn": {"losses": describe(losses), "output": describe(output)}}
