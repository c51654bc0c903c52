"""Judges for 05_perceptron."""
from dataclasses import dataclass

import numpy as np

from autograder.checks.judging import (TOLERANCE, expect_array, expect_binary, expect_close, expect_intact,
                                       expect_ints, expect_scalar, expect_sequence, fail, mixed_error)
from autograder.probes.perceptron import (GATES, PREDICT_CASES, PUERTAS_X, SEPARABLE_DIMS, STEPS_RUN, UPDATE_CASES,
                                          WIDE, Y_XOR, labelled, predict_case, separable, step_inputs, update_case)
from solutions import perceptron as ref

# step's outputs are exactly 0.0 or 1.0 (contract) and are compared exactly.  A row whose
# X @ w + b the reference finds within this distance of 0, without being exactly 0, is not
# judged by perceptron_predict's check: another summation order may round it to the other side.
ROUNDING = 1e-12
# The start's N(0, 1) draw: 400 draws have a sample std in [0.8, 1.2] and a mean within
# ±0.3 with probability > 1 - 1e-8; these catch uniform draws, a wrong scale or zeros.
START_STD = (0.8, 1.2)
START_MEAN = 0.3
# How perceptron_update's messages name the error of a hidden case.
ERROR_NAMES = {-1.0: "−1", 0.0: "0", 1.0: "+1"}
# train_perceptron's defaults (contract).
LR, EPOCHS = 0.1, 100


# -- step and perceptron_predict ------------------------------------------------

def expect_steps_of(cases, z_name, rounding=0.0):
    """Each binary ``got`` of ``cases`` [(what, got, z)] equals step(z) wherever |z| > ``rounding``
    or z = 0; when every output is 1 exactly where z ≥ 0, the message says so (``z_name`` names z)."""
    judged = [(z == 0) | (np.abs(z) > rounding) for _, _, z in cases]
    wrong = [(got != ref.step(z)) & j for (_, got, z), j in zip(cases, judged)]
    failed = [(what, w) for (what, _, _), w in zip(cases, wrong) if w.any()]
    if not failed:
        return
    what, w = failed[0]
    if all(np.array_equal(got[j], (z >= 0)[j]) for (_, got, z), j in zip(cases, judged)):
        fail(f"{what}: donde {z_name} = 0 debe valer 0 (1 solo donde {z_name} > 0, como en 1 if z > 0 else 0)")
    fail(f"{what}: debe valer 1.0 donde {z_name} > 0 y 0.0 donde {z_name} ≤ 0; falla en {int(w.sum())} "
         f"de {w.size} valores")


def step(data, seed):
    cases = []
    for z, result in zip(step_inputs(seed), data, strict=True):
        what = f"step con z de forma {z.shape}"
        cases.append((what, expect_binary(result["s"], what, z.shape), z))
    expect_steps_of(cases, "z")
    for (what, _, _), result in zip(cases, data):
        expect_intact(result, what)


def perceptron_predict(data, seed):
    cases = []
    for i, (case, result) in enumerate(zip(PREDICT_CASES, data, strict=True)):
        n, d, _ = case
        inputs = predict_case(seed + i, *case)
        what = f"perceptron_predict con X ({n}, {d})"
        if tuple(result["y_hat"].get("shape", ())) == (n, 1):
            fail(f"{what}: forma esperada ({n},), obtenida ({n}, 1); X @ w con w de forma (d,) ya es un vector (n,)")
        cases.append((what, expect_binary(result["y_hat"], what, (n,)), inputs["X"] @ inputs["w"] + inputs["b"]))
    expect_steps_of(cases, "X @ w + b", ROUNDING)
    for (what, _, _), result in zip(cases, data):
        expect_intact(result, what)


# -- perceptron_update ------------------------------------------------------------

def rule(x, w, b, lr, error):
    """Rosenblatt's step with a given error: (w + lr·error·x, b + lr·error) as one vector."""
    return np.append(w + lr * error * x, b + lr * error)


def update_mistake(got, x, w, b, lr, error, on_the_line):
    """The Spanish name of a usual mistake that explains ``got`` (w_new and b_new in one vector), or None."""
    mistakes = [("el error es y − step(x · w + b), no al revés", error != 0, rule(x, w, b, lr, -error)),
                ("falta multiplicar por lr", lr != 1 and error != 0, rule(x, w, b, 1.0, error)),
                ("con x · w + b = 0 la predicción es step(0) = 0", on_the_line, rule(x, w, b, lr, 0.0)),
                ("el sesgo también se actualiza: b_new = b + lr · error", error != 0,
                 np.append(w + lr * error * x, b))]
    for label, possible, variant in mistakes:
        if possible and mixed_error(got, variant) <= TOLERANCE["float64"]:
            return label
    return None


def perceptron_update(data, seed):
    for i, ((d, prediction, label, lr), result) in enumerate(zip(UPDATE_CASES, data, strict=True)):
        c = update_case(seed + i, d, prediction)
        x, w, b = c["x"], c["w"], c["b"]
        error = label - float(ref.step(x @ w + b))
        where = "x · w + b = 0" if prediction is None else f"error {ERROR_NAMES[error]}"
        what = f"perceptron_update con x de dimensión {d}, y = {label:g}, lr = {lr} ({where})"
        w_item, b_item = expect_sequence(result["out"], f"{what} (w_new, b_new)", 2)
        w_new = expect_array(w_item, f"{what}, w_new", (d,))
        b_new = expect_scalar(b_item, f"{what}, b_new")
        mistake = update_mistake(np.append(w_new, b_new), x, w, b, lr, error, prediction is None)
        if mistake and mixed_error(np.append(w_new, b_new), rule(x, w, b, lr, error)) > TOLERANCE["float64"]:
            fail(f"{what}: {mistake}")
        expected_w, expected_b = ref.perceptron_update(x, label, w, b, lr)
        expect_close(w_new, expected_w, f"{what}, w_new = w + lr · error · x", TOLERANCE["float64"])
        expect_close(b_new, expected_b, f"{what}, b_new = b + lr · error", TOLERANCE["float64"])
        expect_intact(result, what)


# -- train_perceptron -----------------------------------------------------------

@dataclass(frozen=True)
class Call:
    """One recorded perceptron_update call: its arguments and its result."""
    x: np.ndarray
    y: float
    w: np.ndarray
    b: float
    lr: float
    w_new: np.ndarray
    b_new: float


def expect_result(result, what, d, epochs):
    """(w (d,), b, errors) returned by train_perceptron."""
    w, b, errors = expect_sequence(result, f"{what} (w, b, errors)", 3)
    return (expect_array(w, f"{what}, w", (d,)), expect_scalar(b, f"{what}, b"),
            expect_ints(errors, f"{what}, errors", epochs))


def expect_call(call, what, d):
    """A recorded call with five arguments (x, y, w, b, lr) and a (w_new, b_new) result."""
    what = f"{what}: perceptron_update"
    if len(call["args"]) != 5:
        fail(f"{what} debe recibir 5 argumentos (x, y, w, b, lr), recibió {len(call['args'])}")
    x, y, w, b, lr = call["args"]
    w_new, b_new = expect_sequence(call["result"], f"{what} (w_new, b_new)", 2)
    return Call(expect_array(x, f"{what}, x", (d,)), expect_scalar(y, f"{what}, y"),
                expect_array(w, f"{what}, w", (d,)), expect_scalar(b, f"{what}, b"), expect_scalar(lr, f"{what}, lr"),
                expect_array(w_new, f"{what}, w_new", (d,)), expect_scalar(b_new, f"{what}, b_new"))


def expect_recorded_run(run, what, X, y, lr, epochs):
    """The contract's loop, from the recorded calls: rows in order, lr passed, b from 0, each call
    from the previous one's result, the last result returned, errors recounted.  Returns
    (start w, final w, final b, errors)."""
    n, d = X.shape
    w, b, errors = expect_result(run["result"], what, d, epochs)
    calls = [expect_call(c, what, d) for c in run["calls"]]
    if len(calls) != n * epochs:
        fail(f"{what}: debe llamar a perceptron_update una vez por fila y época ({n * epochs} veces: "
             f"{epochs} épocas de {n} filas), la llamó {len(calls)} veces")
    for k, c in enumerate(calls):
        i = k % n
        if not (np.array_equal(c.x, X[i]) and c.y == y[i]):
            fail(f"{what}: la llamada {k + 1} a perceptron_update debe recibir X[{i}] e y[{i}]: cada época "
                 "recorre las filas en orden, sin barajar")
        if c.lr != lr:
            fail(f"{what}: perceptron_update debe recibir lr={lr}, recibió {c.lr:g}")
        previous = np.append(calls[k - 1].w_new, calls[k - 1].b_new) if k else None
        if k and mixed_error(np.append(c.w, c.b), previous) > TOLERANCE["float64"]:
            fail(f"{what}: la llamada {k + 1} a perceptron_update debe partir de los (w, b) que devolvió la anterior")
    if calls[0].b != 0:
        fail(f"{what}: b debe empezar en 0.0, empezó en {calls[0].b:g}")
    if mixed_error(np.append(w, b), np.append(calls[-1].w_new, calls[-1].b_new)) > TOLERANCE["float64"]:
        fail(f"{what}: debe devolver los (w, b) de la última llamada a perceptron_update")
    recount = [sum(int(ref.step(c.x @ c.w + c.b) != c.y) for c in calls[e * n:(e + 1) * n]) for e in range(epochs)]
    if errors != recount:
        e = next(e for e in range(epochs) if errors[e] != recount[e])
        fail(f"{what}: errors[e] cuenta las filas de la época e mal predichas antes de su actualización; "
             f"en la época {e} fueron {recount[e]} y errors[{e}] = {errors[e]}")
    return calls[0].w, w, b, errors


def replay(X, y, w, lr, epochs):
    """The first epoch without errors of the contract's recipe from the start (w, b = 0), or None."""
    b = 0.0
    for epoch in range(epochs):
        wrong = 0
        for x_i, y_i in zip(X, y):
            wrong += int(ref.step(x_i @ w + b) != y_i)
            w, b = ref.perceptron_update(x_i, y_i, w, b, lr)
        if wrong == 0:
            return epoch
    return None


def expect_learns(what, X, y, start, w, b, errors):
    """From a start where the contract's recipe has an epoch without errors within half the
    epochs, the student's run ends with one and (w, b) classifies every row."""
    if replay(X, y, start, LR, EPOCHS // 2) is None:
        return  # an unlucky start (a student's generator): the steps were checked already
    right = int(np.sum(ref.perceptron_predict(X, w, b) == y))
    if errors[-1] != 0 or right != len(y):
        fail(f"{what}: no aprende desde un punto de partida con el que la regla del perceptrón aprende; "
             f"la última época falló en {errors[-1]} filas y (w, b) acierta {right} de {len(y)}")


def expect_start(data, seed):
    """Determinism per seed whatever the global RNG state, other seeds other starts, N(0, 1) draws."""
    name = "train_perceptron"
    n, d, lr, epochs = STEPS_RUN
    X, y = labelled(seed, n, d)
    starts = {key: expect_recorded_run(data[key], f"{name} con X ({n}, {d}), lr={lr}, epochs={epochs}",
                                       X, y, lr, epochs)[0] for key in ("steps", "again", "other")}
    if mixed_error(starts["steps"], starts["again"]) > TOLERANCE["float64"]:
        fail(f"{name}: con la misma seed debe empezar con los mismos pesos, sea cual sea el estado global "
             "de random y numpy")
    if mixed_error(starts["steps"], starts["other"]) <= TOLERANCE["float64"]:
        fail(f"{name}: seeds distintas deben dar pesos iniciales distintos")
    X, y = labelled(seed, 1, WIDE)
    wide = expect_recorded_run(data["wide"], f"{name} con X (1, {WIDE}), lr=0.0, epochs=1", X, y, 0.0, 1)[0]
    if not (START_STD[0] < wide.std() < START_STD[1] and abs(wide.mean()) < START_MEAN):
        fail(f"{name}: w debe empezar N(0, 1); con d = {WIDE} su media es {wide.mean():.2f} y su desviación "
             f"típica {wide.std():.2f}")


def train_perceptron(data, seed):
    name = "train_perceptron"
    expect_start(data, seed)
    gates = [("defaults", "AND", f"{name}(PUERTAS_X, Y_AND) con lr, epochs y seed por defecto"),
             ("OR", "OR", f"{name}(PUERTAS_X, Y_OR)")]
    for key, gate, what in gates:
        start, w, b, errors = expect_recorded_run(data[key], what, PUERTAS_X, GATES[gate], LR, EPOCHS)
        expect_learns(what, PUERTAS_X, GATES[gate], start, w, b, errors)
    for k, (dims, run) in enumerate(zip(SEPARABLE_DIMS, data["separable"], strict=True)):
        X, y = separable(seed + k, dims)
        what = f"{name} con datos separables por un hiperplano, X {X.shape}"
        start = expect_recorded_run(run["start"], f"{what}, epochs=1", X, y, LR, 1)[0]
        w, b, errors = expect_result(run["learn"]["result"], what, dims, EPOCHS)
        expect_learns(what, X, y, start, w, b, errors)
    for result in data["xor"]:
        w, b, errors = expect_result(result, f"{name}(PUERTAS_X, Y_XOR)", 2, EPOCHS)
        if min(errors) == 0 or np.array_equal(ref.perceptron_predict(PUERTAS_X, w, b), Y_XOR):
            fail(f"{name}(PUERTAS_X, Y_XOR): ninguna recta separa XOR, así que ninguna época puede terminar sin "
                 "errores ni (w, b) acertar las cuatro filas")
    if not data["intact"]:
        fail(f"{name}: modificó X o y; no debe cambiarlos")
