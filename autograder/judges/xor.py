"""Judges for 02_xor."""
import numpy as np
import torch

from autograder.checks.judging import (TOLERANCE, expect_array, expect_close, expect_floats, expect_intact,
                                       expect_sequence, expect_tensor, fail, kind_name, mixed_error, numerical_gradient)
from autograder.probes.xor import (BACKWARD_CASES, BUILD_CASES, FORWARD_CASES, NUMPY_EPOCHS, NUMPY_LEARNING_LR,
                                   TORCH_EPOCHS, TORCH_STEP_RUNS, XOR_X, XOR_Y, activations, network, sigmoid_inputs,
                                   torch_data, torch_start)
from solutions import xor as ref

# The contract's bound for sigmoid: absolute error, no relative term, |z| ≤ 1000.
SIGMOID_TOLERANCE = 1e-12
# Finite differences (h = 1e-6, float64) of E agree with the exact gradient to about 1e-9.
FINITE_DIFFERENCES_TOLERANCE = 1e-6
# Weights N(0, 1): 120 draws (hidden=40) have a sample std in [0.6, 1.5] and a
# mean within ±0.5 with probability > 1 - 1e-7; these catch a wrong scale or uniform draws.
START_STD = (0.6, 1.5)
START_MEAN = 0.5
# "Learns XOR" (contract): (output > 0.5) == Y on the four rows and final loss below this.
LEARNED_LOSS = 0.05
PARAMS = ("W1", "b1", "W2", "b2")


def param_shapes(hidden):
    return {"W1": (2, hidden), "b1": (1, hidden), "W2": (hidden, 1), "b2": (1, 1)}


def learned(A2):
    """(all four rows right, number right, loss) of the network output A2 (4, 1) on XOR."""
    right = int(np.sum((A2 > 0.5) == (XOR_Y > 0.5)))
    loss = float(np.mean((A2 - XOR_Y) ** 2))
    return right == 4 and loss < LEARNED_LOSS, right, loss


# -- Part A: NumPy --------------------------------------------------------------

def sigmoid(data, seed):
    for z, result in zip(sigmoid_inputs(seed), data, strict=True):
        what = f"sigmoid con z de forma {z.shape} y |z| ≤ {np.abs(z).max():.0f}"
        got = expect_array(result["s"], what, z.shape)
        error = float(np.max(np.abs(got - ref.sigmoid(z))))
        if not error <= SIGMOID_TOLERANCE:
            fail(f"{what}: error absoluto máximo {error:.1e} > tolerancia {SIGMOID_TOLERANCE:.0e}")
        expect_intact(result, what)
        overflow = [w for w in result["warnings"] if "overflow" in w or "invalid" in w]
        if overflow:
            fail(f"sigmoid: con |z| grande NumPy avisa «{overflow[0]}»; calcula solo exp(-|z|) "
                 "(o usa np.errstate dentro de la función): un aviso en stderr vale 0")


def sigmoid_derivative(data, seed):
    for a, result in zip(activations(seed), data, strict=True):
        what = f"sigmoid_derivative con a de forma {a.shape}"
        got = expect_array(result["d"], what, a.shape)
        if mixed_error(got, ref.sigmoid_derivative(ref.sigmoid(a))) < TOLERANCE["float64"]:
            fail(f"{what}: calcula σ(a)·(1 − σ(a)), la derivada evaluada en z = a; recibe la activación "
                 "a = σ(z) ya calculada y debe devolver a·(1 − a)")
        expect_close(got, ref.sigmoid_derivative(a), what, TOLERANCE["float64"])
        expect_intact(result, what)


def xor_forward(data, seed):
    for i, (case, result) in enumerate(zip(FORWARD_CASES, data, strict=True)):
        n, hidden, xor_rows = case
        c = network(seed + i, *case)
        what = f"xor_forward con X ({n}, 2) y h = {hidden}"
        A1, A2 = expect_sequence(result["out"], what, 2)
        A1 = expect_array(A1, f"{what}, A1", (n, hidden))
        A2 = expect_array(A2, f"{what}, A2", (n, 1))
        ref_A1, ref_A2 = ref.xor_forward(c["X"], c["W1"], c["b1"], c["W2"], c["b2"])
        expect_close(A1, ref_A1, f"{what}, A1 = sigmoid(X @ W1 + b1)", TOLERANCE["float64"])
        expect_close(A2, ref_A2, f"{what}, A2 = sigmoid(A1 @ W2 + b2)", TOLERANCE["float64"])
        expect_intact(result, what)


def backward_variant(X, Y, W2, A1, A2, output_derivative=True, hidden_derivative=True):
    """xor_backward with one of the two activation derivatives left out (a common mistake)."""
    delta_out = (A2 - Y) * (A2 * (1 - A2) if output_derivative else 1)
    delta_hidden = delta_out @ W2.T * (A1 * (1 - A1) if hidden_derivative else 1)
    return (X.T @ delta_hidden, delta_hidden.sum(axis=0, keepdims=True),
            A1.T @ delta_out, delta_out.sum(axis=0, keepdims=True))


def expect_bias_shape(value, what, n, hidden, width):
    """A bias gradient of shape (1, width), with a hint for the two usual wrong shapes."""
    shape = tuple(value.get("shape", ()))
    if value.get("kind") == "ndarray" and shape in ((n, width), (width,)) and shape != (1, width):
        how = "suma sobre las filas del lote" if shape == (n, width) else "conserva la dimensión"
        fail(f"{what}: forma esperada (1, {width}), obtenida {shape}; {how}: "
             "np.sum(delta, axis=0, keepdims=True)")


def xor_backward(data, seed):
    for i, (case, result) in enumerate(zip(BACKWARD_CASES, data, strict=True)):
        n, hidden, xor_rows = case
        c = network(seed + i, *case)
        A1, A2 = ref.xor_forward(c["X"], c["W1"], c["b1"], c["W2"], c["b2"])
        what = f"xor_backward con X ({n}, 2) y h = {hidden}"
        items = expect_sequence(result["grads"], f"{what} (dW1, db1, dW2, db2)", 4)
        shapes = param_shapes(hidden)
        for name, item in zip(PARAMS, items):
            if name.startswith("b"):
                expect_bias_shape(item, f"{what}, d{name}", n, hidden, shapes[name][1])
        got = [expect_array(item, f"{what}, d{name}", shapes[name]) for name, item in zip(PARAMS, items)]
        expected = ref.xor_backward(c["X"], c["Y"], c["W2"], A1, A2)
        flat_got, flat_ref = (np.concatenate([g.ravel() for g in grads]) for grads in (got, expected))
        scale = float(flat_got @ flat_ref / (flat_ref @ flat_ref))
        proportional = mixed_error(flat_got, scale * flat_ref) < TOLERANCE["float64"]
        if proportional and abs(scale) > 1e-6 and abs(scale - 1) > 1e-3:
            if abs(scale + 1) < 1e-6:
                fail(f"{what}: el signo está invertido (A2 − Y, no Y − A2): devuelve el gradiente y el paso "
                     "lo resta, W -= lr * dW")
            fail(f"{what}: devuelve el gradiente multiplicado por {scale:.3g}; devuelve el gradiente de "
                 "E = 0.5·Σ(A2 − Y)², sin tasa de aprendizaje ni medias")
        for label, keyword in (("la de la salida, σ'(Z2) = A2·(1 − A2)", "output_derivative"),
                               ("la de la capa oculta, σ'(Z1) = A1·(1 − A1)", "hidden_derivative")):
            variant = backward_variant(c["X"], c["Y"], c["W2"], A1, A2, **{keyword: False})
            if all(mixed_error(g, v) < TOLERANCE["float64"] for g, v in zip(got, variant)):
                fail(f"{what}: falta la derivada de la sigmoide {label}")
        for name, g, e in zip(PARAMS, got, expected):
            expect_close(g, e, f"{what}, d{name}", TOLERANCE["float64"])
        expect_intact(result, what)
        if i == len(BACKWARD_CASES) - 1:  # independent witnesses: finite differences and autograd
            expect_witnesses(got, c, what)


def expect_witnesses(got, c, what):
    """The gradients agree with finite differences of E (float64) and with autograd."""
    params = {name: c[name] for name in PARAMS}

    def error_with(name):
        def E(value):
            A2 = ref.xor_forward(c["X"], **{**params, name: value})[1]
            return 0.5 * np.sum((A2 - c["Y"]) ** 2)
        return E

    for name, g in zip(PARAMS, got):
        expect_close(g, numerical_gradient(error_with(name), params[name]),
                     f"{what}, d{name} frente a diferencias finitas", FINITE_DIFFERENCES_TOLERANCE)
    leaves = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    X, Y = torch.tensor(c["X"]), torch.tensor(c["Y"])
    A2 = torch.sigmoid(torch.sigmoid(X @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"])
    grads = torch.autograd.grad(0.5 * ((A2 - Y) ** 2).sum(), list(leaves.values()))
    for name, g, a in zip(PARAMS, got, grads):
        expect_close(g, a.numpy(), f"{what}, d{name} frente a autograd", TOLERANCE["float64"])


def expect_training_result(result, what, hidden, epochs):
    """(params, losses) with the contract's types; returns ({name: float64 array}, losses)."""
    params, losses = expect_sequence(result, what, 2)
    if params.get("kind") != "dict":
        fail(f"{what}: params debe ser un dict con claves {', '.join(PARAMS)}; se obtuvo {kind_name(params)}")
    missing = [name for name in PARAMS if name not in params["items"]]
    if missing:
        fail(f"{what}: a params le faltan las claves {', '.join(missing)}")
    shapes = param_shapes(hidden)
    got = {name: expect_array(params["items"][name], f"{what}, params[{name!r}]", shapes[name]) for name in PARAMS}
    return got, expect_floats(losses, f"{what}, losses", epochs)


def forward_loss(params):
    """mean((A2 − Y)²) of the reference forward pass on XOR, and A2."""
    A2 = ref.xor_forward(XOR_X, *(params[name] for name in PARAMS))[1]
    return float(np.mean((A2 - XOR_Y) ** 2)), A2


def replay(params, lr, epochs, sign=-1, until_learned=False):
    """The contract's recipe from ``params``: the losses before each step and the parameters after.

    With ``until_learned``, stops at the first epoch whose forward pass learns XOR and returns
    that epoch instead (None if none does)."""
    params, losses = dict(params), []
    for epoch in range(epochs):
        A1, A2 = ref.xor_forward(XOR_X, *(params[name] for name in PARAMS))
        if until_learned and learned(A2)[0]:
            return epoch
        losses.append(float(np.mean((A2 - XOR_Y) ** 2)))
        grads = ref.xor_backward(XOR_X, XOR_Y, params["W2"], A1, A2)
        params = {name: params[name] + sign * lr * g for name, g in zip(PARAMS, grads)}
    return None if until_learned else (params, losses)


def train_xor_numpy(data, seed):
    name = "train_xor_numpy"
    start, _ = expect_training_result(data["start"], f"{name}(hidden=3, lr=0, epochs=1)", 3, 1)
    again, _ = expect_training_result(data["again"], f"{name}(hidden=3, lr=0, epochs=1)", 3, 1)
    other, _ = expect_training_result(data["other"], f"{name}(hidden=3, lr=0, epochs=1)", 3, 1)
    wide, _ = expect_training_result(data["wide"], f"{name}(hidden=40, lr=0, epochs=1)", 40, 1)
    expect_training_result(data["defaults"], f"{name}(lr=0, epochs=1) con hidden por defecto", 3, 1)
    if np.any(start["b1"] != 0) or np.any(start["b2"] != 0):
        fail(f"{name}: los sesgos b1 y b2 deben empezar en cero")
    if not all(np.array_equal(start[k], again[k]) for k in PARAMS):
        fail(f"{name}: con la misma seed debe empezar con los mismos pesos, sea cual sea el estado global "
             "de random, numpy y torch")
    if all(np.array_equal(start[k], other[k]) for k in PARAMS):
        fail(f"{name}: seeds distintas deben dar pesos iniciales distintos")
    weights = np.concatenate([wide["W1"].ravel(), wide["W2"].ravel()])
    if not (START_STD[0] < weights.std() < START_STD[1] and abs(weights.mean()) < START_MEAN):
        fail(f"{name}: los pesos deben empezar N(0, 1); con hidden=40 su media es {weights.mean():.2f} "
             f"y su desviación típica {weights.std():.2f}")
    expect_steps(name, data, lr=0.7, epochs=3)
    final, _ = expect_training_result(data["default_lr"], f"{name}(hidden=3, epochs=2)", 3, 2)
    expected, _ = replay(start, 0.5, 2)
    expect_close(np.concatenate([final[k].ravel() for k in PARAMS]),
                 np.concatenate([expected[k].ravel() for k in PARAMS]),
                 f"{name}(hidden=3, epochs=2): con la lr por defecto, 0.5, los parámetros tras 2 pasos",
                 TOLERANCE["float64"])
    expect_learns(name, data)
    if not data["data_intact"]:
        fail(f"{name}: modificó XOR_X o XOR_Y; no debe cambiarlos")


def expect_steps(name, data, lr, epochs):
    """The short run equals the contract's recipe replayed from the start the student returned."""
    what = f"{name}(hidden=2, lr={lr}, epochs={epochs})"
    start, _ = expect_training_result(data["steps_start"], f"{name}(hidden=2, lr=0, epochs=1)", 2, 1)
    final, losses = expect_training_result(data["steps"], what, 2, epochs)
    expected, expected_losses = replay(start, lr, epochs)
    if mixed_error(np.concatenate([final[k].ravel() for k in PARAMS]),
                   np.concatenate([expected[k].ravel() for k in PARAMS])) > TOLERANCE["float64"]:
        ascent = replay(start, lr, epochs, sign=+1)[0]
        if all(mixed_error(final[k], ascent[k]) < TOLERANCE["float64"] for k in PARAMS):
            fail(f"{what}: el paso sube por el gradiente; xor_backward devuelve el gradiente y el paso "
                 "lo resta: W -= lr * dW")
        for k in PARAMS:
            expect_close(final[k], expected[k], f"{what}: {k} tras {epochs} pasos W -= lr * dW desde su "
                         "punto de partida", TOLERANCE["float64"])
    if mixed_error(losses, 2 * np.array(expected_losses)) < TOLERANCE["float64"]:
        fail(f"{what}: losses[i] debe ser la media mean((A2 − Y)²), no 0.5·Σ(A2 − Y)²")
    after = expected_losses[1:] + [forward_loss(expected)[0]]
    if mixed_error(losses, after) < TOLERANCE["float64"]:
        fail(f"{what}: losses[i] debe ser la pérdida del forward de la época i, antes de su paso")
    expect_close(losses, expected_losses, f"{what}: losses[i] = mean((A2 − Y)²) del forward de la época i",
                 TOLERANCE["float64"])


def expect_learns(name, data):
    """From a start where the contract's recipe learns XOR within half the budget, the student's run learns."""
    start, _ = expect_training_result(data["learn_start"], f"{name}(hidden=3, lr=0, epochs=1)", 3, 1)
    what = f"{name}(hidden=3, lr={NUMPY_LEARNING_LR}, epochs={NUMPY_EPOCHS})"
    final, _ = expect_training_result(data["learn"], what, 3, NUMPY_EPOCHS)
    if replay(start, NUMPY_LEARNING_LR, NUMPY_EPOCHS // 2, until_learned=True) is None:
        return  # an unlucky start (a student's generator): the steps were checked already
    ok, right, loss = learned(forward_loss(final)[1])
    if not ok:
        fail(f"{what}: no aprende XOR desde un punto de partida con el que el descenso por gradiente lo "
             f"aprende; acierta {right} de 4 filas y la pérdida final es {loss:.4f} (se pide < {LEARNED_LOSS})")


# -- Part B: PyTorch --------------------------------------------------------------

def expect_layers(run, what, hidden, n):
    """The two nn.Linear layers 2 → hidden → 1 and the output they imply; returns (output, expected)."""
    if not run["module"]:
        fail(f"{what}: se esperaba un torch.nn.Module, se obtuvo {run['type']}")
    layers = run["layers"]
    if len(layers) != 2:
        fail(f"{what}: forward debe usar 2 capas nn.Linear (2 → {hidden} → 1); usó {len(layers)}")
    shapes = [((hidden, 2), (hidden,)), ((1, hidden), (1,))]
    weights = []
    for k, (layer, (w_shape, b_shape)) in enumerate(zip(layers, shapes), start=1):
        weights.append((expect_tensor(layer["weight"], f"{what}, capa {k}: weight", w_shape, "float32"),
                        expect_tensor(layer["bias"], f"{what}, capa {k}: bias", b_shape, "float32")))
    output = expect_tensor(run["output"], f"{what}: la salida", (n, 1), "float32")
    return output, weights


def network_output(X, weights, hidden_activation=torch.sigmoid, output_activation=torch.sigmoid):
    (W1, b1), (W2, b2) = [(torch.from_numpy(w), torch.from_numpy(b)) for w, b in weights]
    return output_activation(hidden_activation(X.double() @ W1.T + b1) @ W2.T + b2).numpy()


def build_xor_net(data, seed):
    name = "build_xor_net"
    for i, ((hidden, n), run) in enumerate(zip(BUILD_CASES, data["cases"], strict=True)):
        what = f"{name}(hidden={hidden}) con X ({n}, 2)"
        output, weights = expect_layers(run, what, hidden, n)
        X, _ = torch_data(seed + i, n, xor_rows=False)
        if mixed_error(output, network_output(X, weights)) > TOLERANCE["float32"]:
            identity = lambda t: t  # noqa: E731
            for label, kwargs in (("falta la sigmoide de salida", {"output_activation": identity}),
                                  ("falta la sigmoide tras la capa oculta", {"hidden_activation": identity}),
                                  ("la capa oculta usa ReLU en lugar de la sigmoide",
                                   {"hidden_activation": torch.relu})):
                if mixed_error(output, network_output(X, weights, **kwargs)) < TOLERANCE["float32"]:
                    fail(f"{what}: {label}; la salida debe ser σ(W₂·σ(W₁x + b₁) + b₂)")
            expect_close(output, network_output(X, weights),
                         f"{what}: la salida frente a σ(W₂·σ(W₁x + b₁) + b₂) con sus propios pesos",
                         TOLERANCE["float32"])
    expect_layers(data["default"], f"{name}() con hidden por defecto", 3, 4)
    if data["reseeds"]:
        fail(f"{name}: no debe fijar la semilla (la fija quien llama); con dos estados distintos del "
             "generador global devolvió los mismos pesos")


def reference_training(start, X, Y, lr, epochs):
    """The reference's own steps from ``start``: (losses, {name: float64 array})."""
    model = ref.build_xor_net(start["W1"].shape[0])
    linear = [module for module in model.modules() if isinstance(module, torch.nn.Linear)]
    with torch.no_grad():
        for layer, w, b in zip(linear, ("W1", "W2"), ("b1", "b2")):
            layer.weight.copy_(start[w])
            layer.bias.copy_(start[b])
    losses = ref.train_xor_torch(model, X, Y, lr=lr, epochs=epochs)
    params = {"W1": linear[0].weight, "b1": linear[0].bias, "W2": linear[1].weight, "b2": linear[1].bias}
    return np.array(losses), {k: v.detach().double().numpy() for k, v in params.items()}


def train_xor_torch(data, seed):
    name = "train_xor_torch"
    for i, ((n, hidden, lr, epochs, xor_rows), run) in enumerate(zip(TORCH_STEP_RUNS, data["steps"], strict=True)):
        what = f"{name} con X ({n}, 2), h = {hidden}, lr={lr}, epochs={epochs}"
        start = torch_start(seed + i, hidden)
        X, Y = torch_data(seed + i, n, xor_rows)
        with torch.enable_grad():
            expected_losses, expected = reference_training(start, X, Y, lr, epochs)
        losses = expect_floats(run["losses"], f"{what}, losses", epochs)
        params = run["params"]["items"]
        got = {k: expect_tensor(params[k], f"{what}: {k} del modelo", tuple(start[k].shape), "float32")
               for k in PARAMS}
        if all(np.array_equal(got[k], start[k].double().numpy()) for k in PARAMS):
            fail(f"{what}: los pesos del modelo no cambiaron; debe entrenar en el sitio el modelo que recibe")
        if abs(losses[0] - expected_losses[0]) > TOLERANCE["float32"] * (1 + expected_losses[0]):
            fail(f"{what}: losses[0] debe ser nn.MSELoss() (la media) de la salida del modelo inicial, "
                 f"calculada antes del paso; error {abs(losses[0] - expected_losses[0]):.1e}")
        error = max(mixed_error(got[k], expected[k]) for k in PARAMS)
        if error > TOLERANCE["float32"]:
            fail(f"{what}: los pesos tras {epochs} épocas no son los de torch.optim.SGD(model.parameters(), "
                 f"lr=lr) con nn.MSELoss(), un paso por época; error máximo {error:.1e} > tolerancia "
                 f"{TOLERANCE['float32']:.0e}")
        expect_close(losses, expected_losses, f"{what}: losses[i] es la pérdida de la época i, antes de su paso",
                     TOLERANCE["float32"])
        expect_intact(run, what)
    what = f"{name} con 3 neuronas ocultas, lr por defecto y epochs={TORCH_EPOCHS}"
    expect_floats(data["learn"]["losses"], f"{what}, losses", TORCH_EPOCHS)
    output = expect_tensor(data["learn"]["output"], f"{what}: la salida del modelo", (4, 1), "float32")
    ok, right, loss = learned(output)
    if not ok:
        fail(f"{what}: no aprende XOR desde un punto de partida con el que SGD (lr=1.0) lo aprende; "
             f"acierta {right} de 4 filas y la pérdida final es {loss:.4f} (se pide < {LEARNED_LOSS})")

