"""Judges for 03_ecuaciones."""
import math

import numpy as np
import torch
from torch import nn

from autograder.checks.judging import (TOLERANCE, expect_close, expect_floats, expect_intact, expect_no_graph,
                                       expect_sequence, expect_shuffled_epochs, expect_tensor, fail, kind_name,
                                       mixed_error)
from autograder.probes.ecuaciones import (SWAPPED_ROWS, TEST_ROWS, TRACE_ROWS, TRAIN_BATCH, TRAIN_EPOCHS, TRAIN_LR,
                                          TRAIN_ROWS, ProbeNet, equations, root_cases)
from solutions import ecuaciones as ref

# Unit roundoff of each dtype: the computed b² - 4ac is off by a few units of
# b² + 4|ac|, which moves a (near-)double root by up to the square root of that.
ROUNDOFF = {"float32": 2.0 ** -24, "float64": 2.0 ** -53}
# Coefficient ranges of make_quadratic_data, with one float32 rounding of slack.
A_RANGE, BC_RANGE, SLACK = (0.5, 2.0), 4.0, 1e-6
# With rejection sampling, 77.2 % of the kept rows have a·c < 0 (measured on 2·10⁶
# draws); for 2,000 rows the standard deviation is 0.0094: ±0.05 is over 5σ.
AC_NEGATIVE, AC_MARGIN = 0.772, 0.05
# Fraction of a > 0 among 2,000 rows: 0.5 ± 0.06 (over 5σ).
A_POSITIVE_MARGIN = 0.06
# A Python loop over rows executes at least one more line per row.
LOOP_EVENTS = (TRACE_ROWS[1] - TRACE_ROWS[0]) // 2
# An affine map has |f((x+y)/2) - (f(x)+f(y))/2| of float32 rounding (≤ 4e-7 on
# these inputs); a sigmoid MLP with inputs divided by 4 gives at least 2e-4.
AFFINE_TOLERANCE = 1e-5
# The probe's 3-64-64-2 net after 200 Adam steps: test MAE 0.09–0.15 over 40
# seeds; the best affine map (least squares) stays at 1.16.
MAE_THRESHOLD = 0.3
DEFAULTS = {"epochs": 200, "lr": 1e-3, "batch_size": 128, "seed": 0}


def as_tensor(array):
    return torch.from_numpy(np.array(array, dtype=np.float32))


def root_tolerance(coefs, expected, dtype):
    """Per-row tolerance for roots computed in ``dtype`` from float64 rows (a, b, c)."""
    a, b, c = coefs.T
    perturbation = 16 * ROUNDOFF[dtype] * (b * b + 4 * np.abs(a * c))
    disc = np.abs(b * b - 4 * a * c)
    shift = np.minimum(np.sqrt(perturbation), perturbation / (2 * np.sqrt(disc) + 1e-300)) / (2 * np.abs(a))
    return TOLERANCE[dtype] * (1 + np.abs(expected)) + shift[:, None]


def expect_roots(got, coefs, expected, what, dtype, against):
    """``got`` (n, 2) ascending and within ``root_tolerance`` of ``expected`` (``against`` names it)."""
    if np.any(got[:, 0] > got[:, 1]):
        fail(f"{what}: cada fila de raíces debe ir en orden ascendente (la menor primero); "
             f"{int(np.sum(got[:, 0] > got[:, 1]))} de {len(got)} filas no lo están")
    tolerance = root_tolerance(coefs, expected, dtype)
    error = np.abs(got - expected)
    worst = np.unravel_index(np.argmax(error / tolerance), error.shape)
    if error[worst] > tolerance[worst]:
        fail(f"{what}: no coinciden con {against}; error máximo {error[worst]:.1e} > tolerancia {tolerance[worst]:.0e}")


def expect_roots_tensor(value, what, n, dtype):
    """A tensor of roots (n, 2); NaN gets its own message (the discriminant was not clamped)."""
    if (value.get("kind") == "tensor" and tuple(value["shape"]) == (n, 2) and value["dtype"] == dtype
            and np.isnan(value["array"]).any()):
        fail(f"{what}: devuelve NaN en {int(np.isnan(value['array']).any(axis=1).sum())} filas; con raíces "
             "dobles y coeficientes inexactos b² - 4ac puede salir ligeramente negativo: "
             "limítalo a 0 (clamp) antes de la raíz cuadrada")
    got = expect_tensor(value, what, (n, 2), dtype)
    expect_no_graph(value, what)
    return got


def numpy_roots(coefs):
    """Ascending roots of each float64 row with numpy.roots (real parts of a near-double pair)."""
    return np.array([np.sort(np.roots(row).real) for row in coefs])


def quadratic_roots(data, seed):
    for dtype, result in zip(("float32", "float64"), data["cases"], strict=True):
        coefs = root_cases(seed).astype(dtype).astype(np.float64)
        what = f"quadratic_roots con coefs ({len(coefs)}, 3) en {dtype}"
        got = expect_roots_tensor(result["roots"], what, len(coefs), dtype)
        expect_roots(got, coefs, numpy_roots(coefs), what, dtype, "numpy.roots")
        expect_intact(result, what)
    few, many = (int(events) for events in data["events"])
    if many - few >= LOOP_EVENTS:
        fail(f"quadratic_roots: debe estar vectorizada, sin bucles de Python sobre las filas "
             f"(con {TRACE_ROWS[1]} filas ejecutó {many - few} líneas más que con {TRACE_ROWS[0]})")


def make_quadratic_data(data, seed):
    runs = {}
    for name, n in {"a": 2000, "b": 2000, "c": 2000, "small": 7, "one": 1}.items():
        what = f"make_quadratic_data(n={n})"
        coefs, roots = expect_sequence(data[name], what, 2)
        runs[name] = expect_tensor(coefs, f"{what}, coefs", (n, 3), "float32")
        expect_no_graph(coefs, f"{what}, coefs")
        got = expect_roots_tensor(roots, f"{what}, roots", n, "float32")
        a, b, c = runs[name].T
        if np.any(np.abs(a) < A_RANGE[0] - SLACK) or np.any(np.abs(a) > A_RANGE[1] + SLACK):
            fail(f"{what}: a debe estar en [-2, -0.5] ∪ [0.5, 2]; hay valores con |a| entre "
                 f"{np.abs(a).min():.2f} y {np.abs(a).max():.2f}")
        if np.any(np.abs(np.stack([b, c])) > BC_RANGE + SLACK):
            fail(f"{what}: b y c deben estar en [-4, 4]; hay valores de hasta {np.abs(np.stack([b, c])).max():.2f}")
        disc = b * b - 4 * a * c
        if np.any(disc < -16 * ROUNDOFF["float32"] * (b * b + 4 * np.abs(a * c))):
            fail(f"{what}: solo debe conservar ecuaciones con raíces reales (b² - 4ac >= 0); "
                 f"{int(np.sum(disc < 0))} de {n} filas tienen discriminante negativo")
        expect_roots(got, runs[name], ref.quadratic_roots(torch.from_numpy(runs[name])).numpy(),
                     f"{what}, roots", "float32", "las raíces de a·x² + b·x + c = 0")
    if not np.array_equal(runs["a"], runs["b"]):
        fail("make_quadratic_data: con la misma seed debe devolver los mismos datos, "
             "sea cual sea el estado global de random, numpy y torch")
    if np.array_equal(runs["a"], runs["c"]):
        fail("make_quadratic_data: seeds distintas deben dar datos distintos")
    a, b, c = runs["a"].T
    positive = np.mean(a > 0)
    if abs(positive - 0.5) > A_POSITIVE_MARGIN:
        fail(f"make_quadratic_data: a debe ser positiva o negativa con la misma probabilidad; "
             f"es positiva en el {100 * positive:.0f} % de las filas")
    spans = {"|a|": (np.abs(a), 0.55, 1.95), "b": (b, -3.8, 3.8), "c": (c, -3.8, 3.8)}
    for label, (values, low, high) in spans.items():
        if values.min() > low or values.max() < high:
            fail(f"make_quadratic_data: {label} debe cubrir todo su intervalo de forma uniforme; "
                 f"en 2000 filas va de {values.min():.2f} a {values.max():.2f}")
    negative = np.mean(a * c < 0)
    if abs(negative - AC_NEGATIVE) > AC_MARGIN:
        fail(f"make_quadratic_data: las ecuaciones sin raíces reales deben descartarse y sortearse de nuevo; "
             f"la proporción de filas con a·c < 0 es {negative:.2f}, con muestreo por rechazo sería ≈ {AC_NEGATIVE:.2f}")


def layer_chain(layers):
    """'3 → 5 → 2' from the described nn.Linear layers, in the order forward used them."""
    shapes = [tuple(layer["weight"]["shape"]) for layer in layers]
    if any(len(shape) != 2 for shape in shapes):
        fail("QuadraticSolver: las capas nn.Linear deben tener pesos de dos dimensiones")
    return [shapes[0][1]] + [shape[0] for shape in shapes] if shapes else [], shapes


def QuadraticSolver(data, seed):
    for hidden, case in zip((5, 12, 64), data, strict=True):
        what = "QuadraticSolver()" if hidden == 64 else f"QuadraticSolver(hidden={hidden})"
        if not case["module"]:
            fail(f"{what}: debe crear un nn.Module (una subclase de nn.Module), se obtuvo {case['type']}")
        expect_tensor(case["output"], f"{what}, salida para coefs (16, 3)", (16, 2), "float32")
        chain, shapes = layer_chain(case["layers"])
        if not shapes:
            fail(f"{what}: forward no usa ninguna capa nn.Linear")
        expected_ok = (len(shapes) >= 2 and chain[0] == 3 and chain[-1] == 2 and all(w == hidden for w in chain[1:-1])
                       and all(shapes[i][0] == shapes[i + 1][1] for i in range(len(shapes) - 1)))
        if not expected_ok:
            default = " (hidden=64 por defecto)" if hidden == 64 else ""
            fail(f"{what}: las capas nn.Linear que usa forward deben ir 3 → {hidden} → … → {hidden} → 2"
                 f"{default}; van {' → '.join(map(str, chain))}")
        fx, fy, fm = (expect_tensor(case[key], f"{what}, salida para 64 coeficientes", (64, 2), "float32")
                      for key in ("fx", "fy", "fmid"))
        deviation = np.abs(fm - (fx + fy) / 2).max()
        if deviation <= AFFINE_TOLERANCE * (1 + max(np.abs(fx).max(), np.abs(fy).max())):
            fail(f"{what}: la red es afín, f((x + y)/2) = (f(x) + f(y))/2 (diferencia máxima {deviation:.1e}); "
                 "falta una no linealidad (ReLU, Tanh…) entre las capas")


def step_boundaries(forwards, final, what):
    """(batch forward, parameters after) of each optimizer step, found where the parameters change.

    The batch of a step is the last forward with grad enabled since the previous step.
    """
    params = [expect_tensor(f["params"], f"{what}: parámetros", (len(final),), "float32") for f in forwards]
    params.append(final)
    steps, since = [], []
    for k, forward in enumerate(forwards):
        since.append(forward)
        if not np.array_equal(params[k], params[k + 1]):
            batch = [f for f in since if f["grad"]]
            if not batch:
                fail(f"{what}: los pesos cambiaron sin una pasada hacia adelante con gradiente")
            steps.append((batch[-1], params[k + 1]))
            since = []
    return params[0], steps


def batch_rows(forward, coefs, what):
    """Indices of the rows of ``coefs`` that a batch forward received."""
    x = forward["input"]
    if x.get("kind") != "tensor" or len(x["shape"]) != 2 or x["shape"][1] != 3 or x["dtype"] != "float32":
        fail(f"{what}: el modelo debe recibir lotes de coefs (m, 3) en float32, recibió {kind_name(x)}")
    index = {row.tobytes(): i for i, row in enumerate(np.asarray(coefs, dtype=np.float32))}
    rows = [index.get(row.tobytes(), -1) for row in np.asarray(x["array"], dtype=np.float32)]
    if -1 in rows:
        fail(f"{what}: cada lote debe estar formado por filas de coefs")
    return rows


def replay(seed, coefs, roots, steps, what):
    """The reference's Adam steps on the same batches, compared with the parameters after each step."""
    model = ProbeNet(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=TRAIN_LR)
    criterion = nn.MSELoss()
    for t, (rows, after) in enumerate(steps, start=1):
        optimizer.zero_grad()
        with torch.enable_grad():  # under nbgrader, the judge runs in the student's kernel
            criterion(model(as_tensor(coefs[rows])), as_tensor(roots[rows])).backward()
        optimizer.step()
        error = mixed_error(after, model.flat().double().numpy())
        if not error <= TOLERANCE["float32"]:
            fail(f"{what}: tras el paso {t}, los pesos no coinciden con un paso de "
                 f"torch.optim.Adam(model.parameters(), lr={TRAIN_LR}) sobre nn.MSELoss() del lote "
                 f"(error máximo {error:.1e} > tolerancia {TOLERANCE['float32']:.0e})")


def batch_loss(forward, rows, roots, what):
    output = expect_tensor(forward["output"], f"{what}: salida del modelo", (len(rows), 2), "float32")
    return float(np.mean((output - roots[rows]) ** 2))


def expect_epoch_losses(losses, epochs, what):
    """losses[i] is the plain or batch-size-weighted mean of epoch i's batch losses (not their sum)."""
    for i, epoch in enumerate(epochs):
        values = np.array([loss for loss, _ in epoch])
        sizes = np.array([size for _, size in epoch])
        candidates = [values.mean(), (values * sizes).sum() / sizes.sum()]
        if min(mixed_error(losses[i], c) for c in candidates) <= TOLERANCE["float32"]:
            continue
        if mixed_error(losses[i], values.sum()) <= TOLERANCE["float32"]:
            fail(f"{what}: losses[{i}] es la suma de las pérdidas de los minilotes; "
                 "debe ser su media (divide entre el número de minilotes)")
        fail(f"{what}: losses[{i}] debe ser la media de las pérdidas de los minilotes de la época {i}; "
             f"error máximo {min(mixed_error(losses[i], c) for c in candidates):.1e} > tolerancia "
             f"{TOLERANCE['float32']:.0e}")


def training_steps(run, seed, coefs, what, epochs):
    """Validated losses, start and steps (rows, parameters after) of one recorded train_solver run."""
    if "error" in run:
        fail(str(run["error"]))
    losses = expect_floats(run["losses"], f"{what}, losses", epochs)
    expect_intact(run, what)
    initial = ProbeNet(seed).flat().double().numpy()
    final = expect_tensor(run["final"], f"{what}: parámetros finales", initial.shape, "float32")
    forwards = run["forwards"]
    if not isinstance(forwards, list):
        fail(f"{what}: la prueba devolvió datos con una estructura inesperada")
    if not forwards:
        fail(f"{what}: no llamó al modelo recibido; debe entrenarlo en el sitio")
    start, steps = step_boundaries(forwards, final, what)
    if not np.array_equal(start, initial):
        fail(f"{what}: debe entrenar el modelo recibido partiendo de sus pesos actuales (no los reinicies)")
    return losses, final, [(batch_rows(forward, coefs, what), forward, after) for forward, after in steps]


def train_solver(data, seed):
    name = "train_solver"
    coefs, roots = (t.double().numpy() for t in equations(seed, TRAIN_ROWS))
    what = f"{name}(n={TRAIN_ROWS}, batch_size={TRAIN_BATCH}, epochs={TRAIN_EPOCHS}, lr={TRAIN_LR})"
    losses, final, steps = training_steps(data["steps"], seed, coefs, what, TRAIN_EPOCHS)
    per_epoch = math.ceil(TRAIN_ROWS / TRAIN_BATCH)
    sizes = [TRAIN_BATCH] * (TRAIN_ROWS // TRAIN_BATCH) + [TRAIN_ROWS % TRAIN_BATCH]
    if len(steps) != TRAIN_EPOCHS * per_epoch:
        fail(f"{what}: se esperaban {per_epoch} pasos de optimización por época (minilotes de "
             f"{', '.join(map(str, sizes))} filas; el último, más pequeño, también se usa), "
             f"hubo {len(steps)} en {TRAIN_EPOCHS} épocas")
    expect_shuffled_epochs(what, [[rows for rows, _, _ in steps[e * per_epoch:(e + 1) * per_epoch]]
                                  for e in range(TRAIN_EPOCHS)], sizes, TRAIN_ROWS)
    replay(seed, coefs, roots, [(rows, after) for rows, _, after in steps], what)
    epochs = [[(batch_loss(forward, rows, roots, what), len(rows)) for rows, forward, _ in
               steps[e * per_epoch:(e + 1) * per_epoch]] for e in range(TRAIN_EPOCHS)]
    expect_epoch_losses(losses, epochs, what)

    again = training_steps(data["again"], seed, coefs, what, TRAIN_EPOCHS)[1]
    other = training_steps(data["other"], seed, coefs, what, TRAIN_EPOCHS)[1]
    if not np.array_equal(final, again):
        fail(f"{name}: con la misma seed debe barajar igual, sea cual sea el estado global de random, numpy y torch")
    if np.array_equal(final, other):
        fail(f"{name}: seeds distintas deben barajar las filas de forma distinta")
    one = f"{name} con n={TRAIN_ROWS} < batch_size=16"
    _, _, steps = training_steps(data["one_batch"], seed, coefs, one, 2)
    if [sorted(rows) for rows, _, _ in steps] != [list(range(TRAIN_ROWS))] * 2:
        fail(f"{one}: cada época debe ser un solo paso con todas las filas; hubo {len(steps)} pasos en 2 épocas")
    defaults = data["defaults"]
    if defaults is not None:
        got = {key: defaults[key].get("value") for key in DEFAULTS if key in defaults}
        if got != DEFAULTS:
            fail(f"{name}: los valores por defecto deben ser epochs=200, lr=1e-3, batch_size=128, seed=0")


def expect_prediction(result, n):
    """The predictions (n, 2) of one predict_roots call: the model's own outputs, in eval mode, each row sorted."""
    what = f"predict_roots con coefs ({n}, 3)"
    got = expect_tensor(result["roots"], what, (n, 2), "float32")
    expect_no_graph(result["roots"], what)
    expect_intact(result, what)
    outputs = expect_tensor(result["outputs"], f"{what}: salida del modelo", (n, 2), "float32")
    if not result["forwards"]:
        fail(f"{what}: debe calcular las raíces con el modelo recibido")
    if any(forward["training"] for forward in result["forwards"]):
        fail(f"{what}: debe llamar a model.eval() antes de predecir (el modelo estaba en modo entrenamiento)")
    if np.any(got[:, 0] > got[:, 1]):
        fail(f"{what}: cada fila debe ir en orden ascendente (ordena las dos salidas de la red)")
    expect_close(got, np.sort(outputs, axis=1), f"{what}: frente a la salida ordenada del modelo", TOLERANCE["float32"])
    return got


def predict_roots(data, seed):
    expect_prediction(data["swapped"], SWAPPED_ROWS)
    got = expect_prediction(data["trained"], TEST_ROWS)
    error = float(np.mean(np.abs(got - equations(seed + 1, TEST_ROWS)[1].double().numpy())))
    if not error < MAE_THRESHOLD:
        fail(f"predict_roots con una red entrenada: error absoluto medio {error:.2f} >= umbral {MAE_THRESHOLD}")
