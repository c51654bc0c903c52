"""Judges for 01_regresion_lineal."""
import io
import math
import tokenize

import numpy as np
import torch

from autograder.checks.judging import (TOLERANCE, expect_close, expect_floats, expect_intact, expect_no_graph,
                                       expect_sequence, expect_shuffled_epochs, expect_tensor, fail,
                                       numerical_gradient)
from autograder.probes.regresion_lineal import DATA_CASES, SHAPES, regression, tensors
from solutions import regresion_lineal as ref

# Checks that judge a function's source: the trusted runner reads it from the notebook (docs/security.md).
SOURCES = {"mse_gradients": "mse_gradients"}
# Names whose presence in mse_gradients means it uses autograd (contract rule).
AUTOGRAD_NAMES = {"backward", "autograd", "requires_grad_", "enable_grad"}
# Weight start 0.1·N(0,1): the sample std of 20 draws lies in [0.05, 0.16] with
# probability > 1 - 1e-6; these bounds only catch a wrong scale (1, 0.01, zeros).
START_STD = (0.03, 0.3)
# Parameters after the default training runs (200 full-batch epochs, or 20
# epochs of batch 32) are within 0.05 of the truth for the reference.
TRUTH_TOLERANCE = 0.1


def as64(tensors_):
    return {key: value.double() for key, value in tensors_.items()}


def describe_case(name, n, d, K, dtype):
    return f"{name} con X ({n}, {d}), W ({d}, {K}), b ({K},) en {dtype}"


def make_regression_data(data, seed):
    runs = {}
    for name, (_, (n, d, K, _), _) in DATA_CASES.items():
        what = f"make_regression_data(n={n}, d={d}, K={K})"
        X, Y, W, b = expect_sequence(data[name], what, 4)
        runs[name] = [expect_tensor(X, f"{what}, X", (n, d), "float32"),
                      expect_tensor(Y, f"{what}, Y", (n, K), "float32"),
                      expect_tensor(W, f"{what}, W_true", (d, K), "float32"),
                      expect_tensor(b, f"{what}, b_true", (K,), "float32")]
        for value, label in zip((X, Y, W, b), ("X", "Y", "W_true", "b_true")):
            expect_no_graph(value, f"{what}, {label}")
    if not all(np.array_equal(u, v) for u, v in zip(runs["a"], runs["b"])):
        fail("make_regression_data: con la misma seed debe devolver los mismos datos, "
             "sea cual sea el estado global de random, numpy y torch")
    if np.array_equal(runs["a"][0], runs["c"][0]):
        fail("make_regression_data: seeds distintas deben dar datos distintos")
    X, Y, W, b = runs["a"]
    if not (abs(X.mean()) < 0.15 and 0.9 < X.std() < 1.1):
        fail(f"make_regression_data: X debe seguir N(0, 1); media {X.mean():.2f}, desviación {X.std():.2f}")
    noise = Y - X @ W - b
    if not (abs(noise.mean()) < 0.03 and 0.085 < noise.std() < 0.115):
        fail("make_regression_data: Y - (X @ W_true + b_true) debe ser ruido sigma·N(0, 1) con sigma=0.1; "
             f"su desviación es {noise.std():.3f}")
    X, Y, W, b = runs["exact"]
    expect_close(Y, X @ W + b, "make_regression_data con sigma=0: Y frente a X @ W_true + b_true",
                 TOLERANCE["float32"])
    weights = np.concatenate([np.ravel(runs[name][k]) for name in ("a", "c", "exact") for k in (2, 3)])
    if not 0.4 < weights.std() < 1.8:
        fail(f"make_regression_data: W_true y b_true deben seguir N(0, 1); desviación {weights.std():.2f}")


def linear_forward(data, seed):
    for i, (shape, result) in enumerate(zip(SHAPES, data, strict=True)):
        n, d, K, dtype = shape
        case = tensors(seed + i, *shape)
        what = describe_case("linear_forward", *shape)
        got = expect_tensor(result["Y_hat"], what, (n, K), dtype)
        expected = ref.linear_forward(*(as64(case)[k] for k in ("X", "W", "b"))).numpy()
        expect_close(got, expected, what, TOLERANCE[dtype])
        expect_no_graph(result["Y_hat"], what)
        expect_intact(result, what)


def mse_loss(data, seed):
    for i, (shape, result) in enumerate(zip(SHAPES, data["cases"], strict=True)):
        n, d, K, dtype = shape
        case = as64(tensors(seed + i, *shape))
        what = f"mse_loss con Y_hat e Y de forma ({n}, {K}) en {dtype}"
        got = expect_tensor(result["loss"], what, (), dtype)
        expected = ref.mse_loss(case["X"][:, :1] + case["Y"], case["Y"]).numpy()
        if K > 1 and abs(got - expected / K) < abs(got - expected):
            fail(f"{what}: parece la media sobre las n·K entradas; se pide la suma sobre las "
                 "K columnas del error cuadrático medio de cada columna")
        expect_close(got, expected, what, TOLERANCE[dtype])
        expect_intact(result, what)
    if not data["differentiable"]:
        fail("mse_loss: debe ser diferenciable cuando Y_hat tiene requires_grad=True "
             "(no uses .item(), .detach() ni numpy dentro)")
    case = as64(tensors(seed, 6, 2, 3, "float64"))
    grad = expect_tensor(data["grad"], "gradiente de mse_loss respecto a Y_hat", (6, 3), "float64")
    expect_close(grad, 2 / 6 * case["X"][:, :1].expand(6, 3).numpy(),
                 "gradiente de mse_loss respecto a Y_hat", TOLERANCE["float64"])


def autograd_names(source):
    """The forbidden autograd names that ``source`` uses as code (comments and strings ignored)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    names = [token.string for token in tokens if token.type == tokenize.NAME]
    found = {name for name in names if name in AUTOGRAD_NAMES}
    found |= {"torch.func" for a, b in zip(names, names[1:]) if (a, b) == ("torch", "func")}
    return sorted(found)


def expect_gradients(result, case, shape, what):
    """The described (dW, db) equal the reference gradient at ``case``."""
    n, d, K, dtype = shape
    dW, db = expect_sequence(result, what, 2)
    got_W = expect_tensor(dW, f"{what}, dW", (d, K), dtype)
    got_b = expect_tensor(db, f"{what}, db", (K,), dtype)
    expect_no_graph(dW, f"{what}, dW")
    expect_no_graph(db, f"{what}, db")
    case = as64(case)
    ref_W, ref_b = (g.numpy() for g in ref.mse_gradients(case["X"], case["Y"], case["W"], case["b"]))
    if np.allclose(got_W, -ref_W, atol=1e-6) and np.allclose(got_b, -ref_b, atol=1e-6):
        fail(f"{what}: el signo está invertido; el gradiente apunta hacia donde la pérdida crece")
    expect_close(got_W, ref_W, f"{what}, dW", TOLERANCE[dtype])
    expect_close(got_b, ref_b, f"{what}, db", TOLERANCE[dtype])
    return got_W, got_b


def mse_gradients(data, seed):
    for i, (shape, result) in enumerate(zip(SHAPES, data["cases"], strict=True)):
        case = tensors(seed + i, *shape)
        what = describe_case("mse_gradients", *shape)
        got_W, got_b = expect_gradients(result["grads"], case, shape, what)
        expect_intact(result, what)
        if shape[3] == "float64":  # an independent witness: finite differences in float64
            c = as64(case)
            loss_W = lambda W: ref.mse_loss(ref.linear_forward(c["X"], torch.from_numpy(W), c["b"]), c["Y"]).item()
            expect_close(got_W, numerical_gradient(loss_W, c["W"].numpy()),
                         f"{what}, dW frente a diferencias finitas", 1e-6)
    if data["backward_passes"]:
        fail("mse_gradients: debe calcular el gradiente a mano, sin autograd "
             f"(ejecutó {data['backward_passes']} pasadas hacia atrás de autograd)")
    if data["source"] is None:
        fail("mse_gradients: no se pudo leer su código fuente; defínela con def en su celda")
    used = autograd_names(data["source"])
    if used:
        fail(f"mse_gradients: debe calcular el gradiente a mano, sin autograd (usa {', '.join(used)})")


def autograd_gradients(data, seed):
    for i, (shape, result) in enumerate(zip(SHAPES, data, strict=True)):
        what = describe_case("autograd_gradients", *shape)
        expect_gradients(result["grads"], tensors(seed + i, *shape), shape, what)
        expect_intact(result, what)
        if not result["backward_passes"]:
            fail(f"{what}: debe obtener el gradiente con autograd (backward o torch.autograd.grad)")
        if not result["flags_kept"]:
            fail(f"{what}: cambió requires_grad de los tensores recibidos; trabaja sobre copias (.detach().clone())")
        if not result["grad_none"]:
            fail(f"{what}: dejó un .grad en los tensores recibidos; deben quedar con .grad None")


def expect_training_result(result, what, d, K, epochs, dtype="float32"):
    """(W, b, losses) with the contract's types; returns them as float64."""
    W, b, losses = expect_sequence(result, what, 3)
    got_W = expect_tensor(W, f"{what}, W", (d, K), dtype)
    got_b = expect_tensor(b, f"{what}, b", (K,), dtype)
    expect_no_graph(W, f"{what}, W")
    expect_no_graph(b, f"{what}, b")
    return got_W, got_b, expect_floats(losses, f"{what}, losses", epochs)


def full_loss(data, W, b):
    c = as64({"X": data["X"], "Y": data["Y"]})
    return ref.mse_loss(ref.linear_forward(c["X"], torch.from_numpy(W), torch.from_numpy(b)), c["Y"]).item()


def expect_steps(name, data, calls, final, lr, steps_per_epoch):
    """Each recorded mse_gradients call is followed by W -= lr·dW, b -= lr·db.

    ``calls`` are the described (X, Y, W, b) → (dW, db) of every step in order;
    ``final`` is the returned (W, b, losses).  Checks the start, every update and
    the per-epoch losses against the recorded parameters.
    """
    W0 = expect_tensor(calls[0]["args"][2], f"{name}: W inicial", final[0].shape, "float32")
    b0 = expect_tensor(calls[0]["args"][3], f"{name}: b inicial", final[1].shape, "float32")
    if not START_STD[0] < W0.std() < START_STD[1] or abs(W0.mean()) > 0.1:
        fail(f"{name}: W debe empezar en 0.1·N(0, 1); su desviación inicial es {W0.std():.3f}")
    if np.any(b0 != 0):
        fail(f"{name}: b debe empezar en ceros")
    params = [(expect_tensor(c["args"][2], f"{name}: W", W0.shape, "float32"),
               expect_tensor(c["args"][3], f"{name}: b", b0.shape, "float32")) for c in calls]
    params.append(final[:2])
    for t, c in enumerate(calls):
        dW, db = expect_sequence(c["result"], f"{name}: resultado de mse_gradients", 2)
        dW = expect_tensor(dW, f"{name}: dW", W0.shape, "float32")
        db = expect_tensor(db, f"{name}: db", b0.shape, "float32")
        (W, b), (W_next, b_next) = params[t], params[t + 1]
        expect_close(W_next, W - lr * dW, f"{name}: paso {t + 1}, W debe ser W - lr·dW", TOLERANCE["float32"])
        expect_close(b_next, b - lr * db, f"{name}: paso {t + 1}, b debe ser b - lr·db", TOLERANCE["float32"])
    after_epoch = params[steps_per_epoch::steps_per_epoch]
    expected = [full_loss(data, W, b) for W, b in after_epoch]
    expect_close(final[2], expected, f"{name}: losses[i] debe ser mse_loss sobre todos los datos "
                 "tras la época i", TOLERANCE["float32"])


def expect_seeded(name, runs, d, K, epochs):
    first = expect_training_result(runs["result"], name, d, K, epochs)
    again = expect_training_result(runs["again"], name, d, K, epochs)
    other = expect_training_result(runs["other"], name, d, K, epochs)
    expect_training_result(runs["float64"], f"{name} con X e Y en float64", d, K, epochs, dtype="float64")
    if not (np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])):
        fail(f"{name}: con la misma seed debe devolver lo mismo, sea cual sea el estado global "
             "de random, numpy y torch")
    if np.array_equal(first[0], other[0]):
        fail(f"{name}: seeds distintas deben dar puntos de partida distintos")
    return first


def expect_learns(name, result, data, epochs):
    W, b, losses = expect_training_result(result, f"{name} con sus valores por defecto", 3, 2, epochs)
    error = max(np.abs(W - data["W_true"].double().numpy()).max(), np.abs(b - data["b_true"].double().numpy()).max())
    if not (losses[-1] < losses[0] and error < TRUTH_TOLERANCE):
        fail(f"{name} con sus valores por defecto: los parámetros quedan a {error:.2f} de los verdaderos "
             f"(tolerancia {TRUTH_TOLERANCE})")


def train_gd(data, seed):
    name, epochs = "train_gd", 4
    train = regression(seed, 40, 5, 4)
    final = expect_seeded(name, data, 5, 4, epochs)
    calls = data["calls"]
    if len(calls) != epochs:
        fail(f"{name}: debe llamar a mse_gradients una vez por época ({epochs} épocas), la llamó {len(calls)} veces")
    for c in calls:
        X = expect_tensor(c["args"][0], f"{name}: X pasado a mse_gradients", (40, 5), "float32")
        if not np.array_equal(X, train["X"].double().numpy()):
            fail(f"{name}: cada paso debe usar todos los datos (lote completo)")
    expect_steps(name, train, calls, final, lr=0.1, steps_per_epoch=1)
    expect_learns(name, data["default"], regression(seed + 1, 64, 3, 2), 200)


def batch_rows(name, train, call):
    """The row indices of X that a recorded mse_gradients call received, with Y rows matching."""
    X = expect_tensor(call["args"][0], f"{name}: X del minilote", (len(call["args"][0]["array"]), 5), "float32")
    Y = expect_tensor(call["args"][1], f"{name}: Y del minilote", (len(X), 4), "float32")
    index = {row.tobytes(): i for i, row in enumerate(train["X"].double().numpy())}
    rows = [index.get(row.tobytes(), -1) for row in X]
    if -1 in rows or not np.array_equal(Y, train["Y"].double().numpy()[rows]):
        fail(f"{name}: los minilotes deben ser filas de X con sus filas de Y correspondientes")
    return rows


def train_minibatch_sgd(data, seed):
    name, epochs, n, batch = "train_minibatch_sgd", 3, 10, 4
    train = regression(seed, n, 5, 4)
    final = expect_seeded(name, data, 5, 4, epochs)
    calls, per_epoch = data["calls"], math.ceil(n / batch)
    if len(calls) != epochs * per_epoch:
        fail(f"{name}: con n={n} y batch_size={batch} se esperaban {per_epoch} pasos por época "
             f"(minilotes de 4, 4 y 2 filas; el último, más pequeño, también se usa), hubo {len(calls)} en {epochs} épocas")
    expect_shuffled_epochs(name, [[batch_rows(name, train, c) for c in calls[e * per_epoch:(e + 1) * per_epoch]]
                                  for e in range(epochs)], [4, 4, 2], n)
    expect_steps(name, train, calls, final, lr=0.1, steps_per_epoch=per_epoch)
    one = data["one_batch"]
    expect_training_result(one["result"], f"{name} con n < batch_size", 5, 4, 2)
    if [len(c["args"][0]["array"]) for c in one["calls"]] != [n, n]:
        fail(f"{name}: con n < batch_size cada época debe ser un solo paso con todas las filas")
    expect_learns(name, data["default"], regression(seed + 1, 200, 3, 2), 20)
