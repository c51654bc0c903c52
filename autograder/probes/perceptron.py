"""Probes for 05_perceptron, and the hidden inputs its judges regenerate.

One mistake, one item: while a probe runs, ``step`` and ``perceptron_predict``
in the notebook namespace are replaced by trusted stand-ins (the contract's
formulas), so a wrong ``step`` costs only ``test_step``.  ``perceptron_update``
is never replaced: by the contract, ``train_perceptron`` uses the student's own,
and its probe records every call.
"""
import numpy as np

from autograder.checks.probing import call, clone, intact, recording, scramble_global_rngs, using
from autograder.checks.wire import describe

PUERTAS_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
GATES = {"AND": np.array([0, 0, 0, 1], dtype=np.float64), "OR": np.array([0, 1, 1, 1], dtype=np.float64)}
Y_XOR = np.array([0, 1, 1, 0], dtype=np.float64)

# step: exact zeros (signed), values too small to round to 0, and huge ones.
EXTREMES = np.array([-1e300, -1.0, -1e-300, -5e-324, -0.0, 0.0, 5e-324, 1e-300, 1e-12, 1.0, 1e300])
STEP_SHAPES = [(3, 4), (2, 3, 2), (1,)]
# (n, d, integer entries?) for perceptron_predict: integer X, w and b put rows exactly on the hyperplane.
PREDICT_CASES = [(4, 2, True), (7, 3, False), (1, 5, False), (10, 1, True), (12, 4, True)]
# (d, prediction, label, lr) for perceptron_update: error 0 (both ways), +1 and −1; prediction None
# puts x exactly on the hyperplane (x·w + b = 0, so the prediction is step(0) = 0).
UPDATE_CASES = [(2, 1.0, 1.0, 0.1), (3, 0.0, 0.0, 0.5), (3, 0.0, 1.0, 0.3), (5, 1.0, 0.0, 0.7),
                (2, None, 1.0, 1.0), (4, 1.0, 0.0, 0.05)]
# train_perceptron: the step-by-step run (n, d, lr, epochs), the width of the start whose
# N(0, 1) draw is checked, the separable data sets' dimensions and rows, and the XOR seeds.
STEPS_RUN = (5, 3, 0.5, 3)
WIDE = 400
SEPARABLE_DIMS = (2, 3, 5)
SEPARABLE_ROWS = 30
# Rows within this distance of the separating hyperplane are dropped: with it the reference
# reaches an epoch without errors by epoch 19 of 100 from 6,000 N(0, 1) starts on 200 data sets.
SEPARABLE_MARGIN = 0.2
XOR_SEEDS = 3


# -- the contract's formulas, standing in for the functions not under test ----

def _step(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def _perceptron_predict(X, w, b):
    return _step(X @ w + b)


STAND_INS = {"step": _step, "perceptron_predict": _perceptron_predict}


def stand_ins_except(name):
    return {other: function for other, function in STAND_INS.items() if other != name}


# -- hidden inputs ------------------------------------------------------------

def step_inputs(seed):
    """``EXTREMES`` and random arrays of ``STEP_SHAPES``, a quarter of their entries exact zeros."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(0, 1, shape) * (rng.random(shape) > 0.25) for shape in STEP_SHAPES]
    return [EXTREMES, *arrays]


def predict_case(seed, n, d, integers):
    """X (n, d), w (d,) float64 and b a Python float: small integers, or N(0, 1) draws."""
    rng = np.random.default_rng(seed)
    if integers:
        return {"X": rng.integers(-2, 3, (n, d)) * 1.0, "w": rng.integers(-2, 3, d) * 1.0,
                "b": float(rng.integers(-2, 3))}
    return {"X": rng.normal(0, 1, (n, d)), "w": rng.normal(0, 1, d), "b": float(rng.normal())}


def update_case(seed, d, prediction):
    """x (d,), w (d,) and b (a Python float) for which step(x·w + b) is ``prediction``."""
    rng = np.random.default_rng(seed)
    if prediction is None:
        x, w = rng.integers(-2, 3, d) * 1.0, rng.integers(-2, 3, d) * 1.0
        return {"x": x, "w": w, "b": float(-(x @ w))}
    x, w = rng.normal(0, 1, d), rng.normal(0, 1, d)
    side = 1.0 if prediction else -1.0
    return {"x": x, "w": w, "b": float(-(x @ w) + side * rng.uniform(0.2, 1.5))}


def labelled(seed, n, d):
    """X (n, d) N(0, 1) and labels y (n,) in {0.0, 1.0} drawn independently of X."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, d)), rng.integers(0, 2, n) * 1.0


def separable(seed, d):
    """X (SEPARABLE_ROWS, d) uniform in [−1, 1]^d at least SEPARABLE_MARGIN away from a random
    hyperplane, and y (SEPARABLE_ROWS,) = 1.0 on its positive side."""
    rng = np.random.default_rng(seed)
    normal = rng.standard_normal(d)
    normal /= np.linalg.norm(normal)
    offset = rng.uniform(-0.3, 0.3)
    X = rng.uniform(-1, 1, (8 * SEPARABLE_ROWS, d))
    X = X[np.abs(X @ normal + offset) >= SEPARABLE_MARGIN][:SEPARABLE_ROWS]
    return X, (X @ normal + offset > 0) * 1.0


# -- probes -------------------------------------------------------------------

def step(ns, seed):
    results = []
    with using(ns, stand_ins_except("step")):
        for z in step_inputs(seed):
            passed = clone({"z": z})
            s = call(ns, "step", passed["z"])
            results.append({"s": describe(s), "intact": intact({"z": z}, passed)})
    return results


def perceptron_predict(ns, seed):
    results = []
    with using(ns, stand_ins_except("perceptron_predict")):
        for i, case in enumerate(PREDICT_CASES):
            inputs = predict_case(seed + i, *case)
            arrays = {"X": inputs["X"], "w": inputs["w"]}
            passed = clone(arrays)
            y_hat = call(ns, "perceptron_predict", passed["X"], passed["w"], inputs["b"])
            results.append({"y_hat": describe(y_hat), "intact": intact(arrays, passed)})
    return results


def perceptron_update(ns, seed):
    results = []
    with using(ns, STAND_INS):
        for i, (d, prediction, label, lr) in enumerate(UPDATE_CASES):
            inputs = update_case(seed + i, d, prediction)
            arrays = {"x": inputs["x"], "w": inputs["w"]}
            passed = clone(arrays)
            # the label as train_perceptron passes it, y[i]: a NumPy float64 (a Python float every other case)
            y = np.float64(label) if i % 2 else label
            out = call(ns, "perceptron_update", passed["x"], y, passed["w"], inputs["b"], lr)
            results.append({"out": describe(out), "intact": intact(arrays, passed)})
    return results


def train_perceptron(ns, seed):
    """Recorded runs (steps, determinism, start, AND with the defaults, OR with a hidden seed), learning
    runs on separable data from a recorded start, and XOR runs."""
    runs, handed = {}, []  # handed: (originals, the copies the student received) of every run

    def train(state, X, y, record=True, **kwargs):
        passed = clone({"X": X, "y": y})
        handed.append(({"X": X, "y": y}, passed))
        if state is not None:
            scramble_global_rngs(state)
        if not record:
            return {"result": describe(call(ns, "train_perceptron", passed["X"], passed["y"], **kwargs))}
        with recording(ns, "perceptron_update", "train_perceptron") as calls:
            result = call(ns, "train_perceptron", passed["X"], passed["y"], **kwargs)
        return {"result": describe(result), "calls": calls}

    n, d, lr, epochs = STEPS_RUN
    X, y = labelled(seed, n, d)
    with using(ns, STAND_INS):
        runs["steps"] = train(1, X, y, lr=lr, epochs=epochs, seed=seed)
        runs["again"] = train(2, X, y, lr=lr, epochs=epochs, seed=seed)
        runs["other"] = train(1, X, y, lr=lr, epochs=epochs, seed=seed + 1)
        runs["wide"] = train(3, *labelled(seed, 1, WIDE), lr=0.0, epochs=1, seed=seed)
        runs["defaults"] = train(None, PUERTAS_X, GATES["AND"])  # AND, from the default seed's start
        runs["OR"] = train(None, PUERTAS_X, GATES["OR"], seed=seed + 1)
        runs["separable"] = []
        for k, dims in enumerate(SEPARABLE_DIMS):
            X, y = separable(seed + k, dims)
            runs["separable"].append({"start": train(None, X, y, epochs=1, seed=seed + k),
                                      "learn": train(None, X, y, record=False, seed=seed + k)})
        runs["xor"] = [train(None, PUERTAS_X, Y_XOR, record=False, seed=seed + k)["result"]
                       for k in range(XOR_SEEDS)]
    runs["intact"] = all(intact(originals, passed) for originals, passed in handed)
    return runs
