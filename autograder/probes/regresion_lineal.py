"""Probes for 01_regresion_lineal, and the hidden inputs its judges regenerate."""
import torch

from autograder.checks.probing import (call, clone, counting_backward_passes, intact, recording,
                                scramble_global_rngs, source_of)
from autograder.checks.wire import describe

# (n, d, K, dtype): K = 1 and K > 1, d = 1, float32 and float64.
SHAPES = [(7, 3, 1, "float32"), (5, 1, 4, "float32"), (33, 4, 3, "float64")]
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def tensors(seed, n, d, K, dtype):
    """Random X (n, d), Y (n, K), W (d, K), b (K,) of ``dtype``; no structure between them."""
    g = torch.Generator().manual_seed(seed)
    draw = {"X": (n, d), "Y": (n, K), "W": (d, K), "b": (K,)}
    return {key: torch.randn(shape, generator=g, dtype=torch.float64).to(DTYPES[dtype])
            for key, shape in draw.items()}


def regression(seed, n, d, K, dtype="float32", sigma=0.1):
    """Training data with a linear truth: X (n, d), Y (n, K), W_true (d, K), b_true (K,)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    W_true = torch.randn(d, K, generator=g, dtype=torch.float64)
    b_true = torch.randn(K, generator=g, dtype=torch.float64)
    Y = X @ W_true + b_true + sigma * torch.randn(n, K, generator=g, dtype=torch.float64)
    cast = DTYPES[dtype]
    return {"X": X.to(cast), "Y": Y.to(cast), "W_true": W_true.to(cast), "b_true": b_true.to(cast)}


# make_regression_data runs: name -> (global RNG state before the call, (n, d, K, sigma), seed offset).
# "a" and "b" differ only in the global state (must not matter), "a" and "c" only in the seed.
DATA_CASES = {"a": (1, (400, 3, 2, 0.1), 0), "b": (2, (400, 3, 2, 0.1), 0), "c": (1, (400, 3, 2, 0.1), 1),
              "exact": (3, (50, 2, 3, 0.0), 0), "small": (4, (5, 1, 1, 0.1), 0)}


def make_regression_data(ns, seed):
    runs = {}
    for name, (state, (n, d, K, sigma), offset) in DATA_CASES.items():
        scramble_global_rngs(state)
        runs[name] = describe(call(ns, "make_regression_data", n, d, K, sigma=sigma, seed=seed + offset))
    return runs


def linear_forward(ns, seed):
    results = []
    for i, shape in enumerate(SHAPES):
        case = tensors(seed + i, *shape)
        passed = clone(case)
        Y_hat = call(ns, "linear_forward", passed["X"], passed["W"], passed["b"])
        results.append({"Y_hat": describe(Y_hat), "intact": intact(case, passed)})
    return results


def mse_loss(ns, seed):
    results = []
    for i, shape in enumerate(SHAPES):
        case = tensors(seed + i, *shape)
        Y_hat = case["X"][:, :1] + case["Y"]  # any (n, K) prediction
        passed = clone({"Y_hat": Y_hat, "Y": case["Y"]})
        loss = call(ns, "mse_loss", passed["Y_hat"], passed["Y"])
        results.append({"loss": describe(loss), "intact": intact({"Y_hat": Y_hat, "Y": case["Y"]}, passed)})
    case = tensors(seed, 6, 2, 3, "float64")
    Y_hat = case["X"][:, :1] + case["Y"]
    leaf = Y_hat.clone().requires_grad_(True)
    loss = call(ns, "mse_loss", leaf, case["Y"])
    differentiable = isinstance(loss, torch.Tensor) and loss.requires_grad and loss.numel() == 1
    grad = torch.autograd.grad(loss.sum(), leaf)[0] if differentiable else None
    return {"cases": results, "differentiable": differentiable, "grad": describe(grad)}


def mse_gradients(ns, seed):
    results = []
    with torch.no_grad(), counting_backward_passes() as backward_passes:
        for i, shape in enumerate(SHAPES):
            case = tensors(seed + i, *shape)
            passed = clone(case)
            grads = call(ns, "mse_gradients", passed["X"], passed["Y"], passed["W"], passed["b"])
            results.append({"grads": describe(grads), "intact": intact(case, passed)})
    return {"cases": results, "source": source_of(ns, "mse_gradients"), "backward_passes": backward_passes[0]}


def autograd_gradients(ns, seed):
    results = []
    for i, shape in enumerate(SHAPES):
        case = tensors(seed + i, *shape)
        passed = clone(case)
        leaves = i % 2 == 1  # alternate plain tensors and leaves that require grad
        if leaves:
            passed["W"].requires_grad_(True)
            passed["b"].requires_grad_(True)
        with counting_backward_passes() as backward_passes:
            grads = call(ns, "autograd_gradients", passed["X"], passed["Y"], passed["W"], passed["b"])
        results.append({
            "backward_passes": backward_passes[0],
            "grads": describe(grads),
            "intact": intact(case, {key: value.detach() for key, value in passed.items()}),
            "flags_kept": all(passed[key].requires_grad == leaves for key in ("W", "b"))
            and not passed["X"].requires_grad and not passed["Y"].requires_grad,
            "grad_none": all(passed[key].grad is None for key in passed),
        })
    return results


def _training_runs(ns, name, seed, data, **kwargs):
    """Recorded run, a rerun under another global RNG state, and one with another seed."""
    with recording(ns, "mse_gradients", name) as calls:
        scramble_global_rngs(1)
        first = describe(call(ns, name, data["X"].clone(), data["Y"].clone(), seed=seed, **kwargs))
    scramble_global_rngs(2)
    again = describe(call(ns, name, data["X"].clone(), data["Y"].clone(), seed=seed, **kwargs))
    scramble_global_rngs(1)
    other = describe(call(ns, name, data["X"].clone(), data["Y"].clone(), seed=seed + 1, **kwargs))
    double = describe(call(ns, name, data["X"].double(), data["Y"].double(), seed=seed, **kwargs))
    return {"result": first, "calls": calls, "again": again, "other": other, "float64": double}


def train_gd(ns, seed):
    data = regression(seed, 40, 5, 4)
    runs = _training_runs(ns, "train_gd", seed, data, lr=0.1, epochs=4)
    full = regression(seed + 1, 64, 3, 2)
    runs["default"] = describe(call(ns, "train_gd", full["X"], full["Y"]))
    return runs


def train_minibatch_sgd(ns, seed):
    data = regression(seed, 10, 5, 4)
    runs = _training_runs(ns, "train_minibatch_sgd", seed, data, lr=0.1, epochs=3, batch_size=4)
    with recording(ns, "mse_gradients", "train_minibatch_sgd") as calls:
        result = call(ns, "train_minibatch_sgd", data["X"].clone(), data["Y"].clone(),
                      lr=0.1, epochs=2, batch_size=16, seed=seed)
    runs["one_batch"] = {"result": describe(result), "calls": calls}
    full = regression(seed + 1, 200, 3, 2)
    runs["default"] = describe(call(ns, "train_minibatch_sgd", full["X"], full["Y"]))
    return runs
