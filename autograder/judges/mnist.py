"""Judges for 04_mnist."""
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from autograder.checks.judging import TOLERANCE, expect_close, expect_floats, expect_sequence, expect_tensor, fail, mixed_error
from autograder.probes.mnist import (BATCHES, EPOCH_SGD, EVAL_BATCHES, EVAL_CORRECT, LAYERS, N_PARAMETERS, RULE_RUN,
                                     SGD_CASES, TRAIN_EPOCHS, batches, images, mnist_split, one_thread, probe_net,
                                     recording_gradients)
from solutions import mnist as ref

# With train_mnist's probe (2 epochs, lr 0.1, momentum 0.9, batches of 64), the reference scores
# 79.7-92.6 % on the 1,000 test digits over split seeds 0-399 (mean 87.0 %): 9.7 points of margin.
# (3 epochs: 81.0-93.6 %, mean 89.5 %, for 50 % more time.)
ACCURACY_THRESHOLD = 0.70
PARAMETER_SHAPES = [shape for n_in, n_out in zip(LAYERS, LAYERS[1:]) for shape in ((n_out, n_in), (n_out,))]
# A fraction computed in float32 (a mean of 0/1 values) is within 1e-7 of the exact one.
FRACTION_TOLERANCE = 1e-6
ORDER = "zero_grad, forward, pérdida, backward, step"
# Where a per-row sum of probabilities counts as 1.
SUM_TOLERANCE = 1e-3


def plain(value):
    """The Python number or bool a description holds (0-dim tensors and NumPy scalars too), else None."""
    if value.get("kind") in ("float", "int", "bool"):
        return value["value"]
    if value.get("kind") in ("tensor", "numpy_scalar") and tuple(value["shape"]) == ():
        return value["array"].item()
    return None


def expect_float(value, what):
    """A Python float (NumPy's float64 is one); returns it."""
    if value.get("kind") == "float" or (value.get("kind") == "numpy_scalar" and value["dtype"] == "float64"):
        number = float(plain(value))
        if not np.isfinite(number):
            fail(f"{what}: es NaN o infinito")
        return number
    hint = " (usa .item())" if value.get("kind") == "tensor" else ""
    fail(f"{what}: se esperaba un float de Python{hint}, se obtuvo {value.get('type', '?')}")


def expect_parameters(value, what):
    """The described parameters of a ProbeNet, in order, as float64 arrays."""
    items = expect_sequence(value, what, N_PARAMETERS, kinds=("list",))
    return [expect_tensor(item, what, shape, "float32") for item, shape in zip(items, PARAMETER_SHAPES)]


def with_parameters(arrays):
    """A ProbeNet holding ``arrays`` as its parameters."""
    model = probe_net(0)
    with torch.no_grad():
        for parameter, array in zip(model.parameters(), arrays):
            parameter.copy_(torch.from_numpy(array))
    return model


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def reference_parameters(model):
    return [p.detach().double().numpy() for p in model.parameters()]


# -- MNISTNet3 ---------------------------------------------------------------


def layer_chain(layers):
    """784→128→… as the Linear layers' weights say, in forward order."""
    shapes = [tuple(layer["weight"]["shape"]) for layer in layers]
    return "→".join(str(n) for n in [shapes[0][-1], *(shape[0] for shape in shapes)])


def log_softmax_net(x, weights, biases, relu=True):
    """The output of Linear layers (with ReLU between them, or none) and log_softmax, in float64."""
    h = x
    for k, (W, b) in enumerate(zip(weights, biases)):
        h = h @ W.T + b
        if relu and k < len(weights) - 1:
            h = np.maximum(h, 0)
    return h - np.logaddexp.reduce(h, axis=1, keepdims=True)


def expect_output(value, x, weights, biases, what):
    n = x.shape[0]
    out = expect_tensor(value, what, (n, 10), "float32")
    with np.errstate(over="ignore"):
        sums = np.exp(out).sum(axis=1)
    if not np.allclose(sums, 1, atol=SUM_TOLERANCE):
        if np.allclose(out.sum(axis=1), 1, atol=SUM_TOLERANCE) and (out >= 0).all():
            fail(f"{what}: parece softmax; la salida debe ser log_softmax (log-probabilidades, como nn.NLLLoss espera)")
        fail(f"{what}: la salida deben ser log-probabilidades (log_softmax sobre las 10 clases): exp(salida) "
             f"debe sumar 1 en cada fila y suma entre {sums.min():.3g} y {sums.max():.3g}")
    expected = log_softmax_net(x, weights, biases)
    if mixed_error(out, expected) > TOLERANCE["float32"]:
        if mixed_error(out, log_softmax_net(x, weights, biases, relu=False)) <= TOLERANCE["float32"]:
            fail(f"{what}: falta la ReLU entre las capas Linear")
    expect_close(out, expected, f"{what}: la salida frente a la de sus capas Linear con ReLU entre ellas y "
                 "log_softmax al final", TOLERANCE["float32"])


def MNISTNet3(data, seed):
    name = "MNISTNet3"
    if not data["module"]:
        fail(f"{name}: MNISTNet3() debe crear un nn.Module, se obtuvo {data['type']}")
    layers = data["layers"]
    if not layers:
        fail(f"{name}: forward no usa ninguna capa nn.Linear")
    chain = layer_chain(layers)
    if chain != "→".join(map(str, LAYERS)):
        fail(f"{name}: las capas Linear, en el orden en que forward las usa, deben ser "
             f"{'→'.join(map(str, LAYERS))}; son {chain}")
    weights, biases = [], []
    for k, (layer, n_in, n_out) in enumerate(zip(layers, LAYERS, LAYERS[1:]), start=1):
        weights.append(expect_tensor(layer["weight"], f"{name}: pesos de la capa Linear {k}", (n_out, n_in), "float32"))
        no_bias = layer["bias"].get("kind") == "none"  # bias=False is allowed: it adds zeros
        biases.append(np.zeros(n_out) if no_bias else
                      expect_tensor(layer["bias"], f"{name}: sesgo de la capa Linear {k}", (n_out,), "float32"))
    x4 = images(seed, 6).double().reshape(6, -1).numpy()
    expect_output(data["out4"], x4, weights, biases, f"{name} con una entrada (6, 1, 28, 28)")
    x2 = images(seed + 1, 3).double().reshape(3, -1).numpy()
    expect_output(data["out2"], x2, weights, biases, f"{name} con una entrada (3, 784)")


# -- make_sgd_optimizer ------------------------------------------------------


def make_sgd_optimizer(data, seed):
    for case, kwargs in SGD_CASES.items():
        what = f"make_sgd_optimizer({', '.join(['model', *(f'{k}={v}' for k, v in kwargs.items())])})"
        result = data[case]
        if not result["sgd"]:
            fail(f"{what}: se esperaba un torch.optim.SGD, se obtuvo {result['type']}")
        held = sorted(i for group in result["groups"] for i in group["params"])
        if held != list(range(N_PARAMETERS)):
            fail(f"{what}: debe optimizar todos los parámetros de model.parameters() ({N_PARAMETERS} tensores), "
                 f"cada uno una vez; tiene {len(held)}, {sum(i < 0 for i in held)} de ellos ajenos al modelo")
        expected = {"lr": 0.1, "momentum": 0.9, **kwargs, "dampening": 0, "weight_decay": 0,
                    "nesterov": False, "maximize": False}
        for group in result["groups"]:
            for key, value in expected.items():
                got = plain(group["hyper"][key])
                if got is None or isinstance(got, bool) != isinstance(value, bool) or abs(got - value) > 1e-12:
                    rest = "" if key in ("lr", "momentum") else " (deja las demás opciones de SGD por defecto)"
                    fail(f"{what}: {key} esperado {value}, obtenido {got}{rest}")


# -- train_epoch -------------------------------------------------------------


def reference_epoch(seed):
    """The reference's epoch on the probe's inputs: (returned loss, per-batch losses, step gradients, parameters)."""
    model = probe_net(seed).eval()
    optimizer = torch.optim.SGD(model.parameters(), **EPOCH_SGD)
    batch_losses = []

    def criterion(outputs, labels):
        loss = F.nll_loss(outputs, labels)
        batch_losses.append(loss.item())
        return loss

    with recording_gradients(optimizer) as steps:
        loss = ref.train_epoch(model, batches(seed), optimizer, criterion)
    grads = [[g.double().numpy() for g in step] for step in steps]
    return loss, batch_losses, grads, reference_parameters(model)


def expect_step_gradients(steps, expected, name):
    """Each optimizer.step() applied the gradient of its own batch's loss (zero_grad in between)."""
    if steps.get("kind") != "list" or steps["length"] != len(expected):
        fail(f"{name}: se esperaba una llamada a optimizer.step() por lote ({len(expected)} lotes), "
             f"hubo {steps.get('length')}")
    previous = None
    for t, (step, reference) in enumerate(zip(steps["items"], expected, strict=True), start=1):
        grads = expect_sequence(step, f"{name}: gradientes del paso {t}", N_PARAMETERS, kinds=("list",))
        if any(g.get("kind") == "none" for g in grads):
            fail(f"{name}: en el paso {t} hay parámetros sin gradiente al llamar a optimizer.step(); "
                 f"el orden es {ORDER}")
        got = [expect_tensor(g, f"{name}: gradiente del paso {t}", shape, "float32")
               for g, shape in zip(grads, PARAMETER_SHAPES)]
        error = mixed_error(flat(got), flat(reference))
        if error > TOLERANCE["float32"]:
            if previous is not None and mixed_error(flat(got), flat(reference) + flat(previous)) <= TOLERANCE["float32"]:
                fail(f"{name}: en el paso {t} los gradientes se suman a los del paso anterior; "
                     "llama a optimizer.zero_grad() en cada lote")
            if not flat(got).any():
                fail(f"{name}: en el paso {t} los gradientes son cero al llamar a optimizer.step(); el orden es {ORDER}")
            fail(f"{name}: en el paso {t} los gradientes no son los de la pérdida del lote {t} "
                 f"(error máximo {error:.1e} > tolerancia {TOLERANCE['float32']:.0e})")
        previous = got


@one_thread()
def train_epoch(data, seed):
    name = "train_epoch"
    expected_loss, batch_losses, expected_steps, expected_params = reference_epoch(seed)
    loss = expect_float(data["loss"], f"{name}: el valor devuelto")
    sizes = [forward["batch"] for forward in data["forwards"]]
    if sizes != list(BATCHES):
        fail(f"{name}: debe hacer un forward por lote del loader, en orden: tamaños {list(BATCHES)}, hubo {sizes}")
    if not all(forward["training"] is True for forward in data["forwards"]):
        fail(f"{name}: debe poner el modelo en modo entrenamiento con model.train() antes de recorrer los lotes")
    expect_step_gradients(data["steps"], expected_steps, name)
    expect_close(flat(expect_parameters(data["params"], f"{name}: parámetros")), flat(expected_params),
                 f"{name}: los pesos tras la época frente a los de la referencia", TOLERANCE["float32"])
    if abs(loss - expected_loss) > TOLERANCE["float32"] * (1 + abs(expected_loss)):
        weighted = np.dot(batch_losses, BATCHES) / sum(BATCHES)
        for wrong, why in [(sum(batch_losses), "la suma de las pérdidas de los lotes"),
                           (weighted, "la media ponderada por el tamaño de los lotes"),
                           (batch_losses[-1], "la pérdida del último lote")]:
            if abs(loss - wrong) <= TOLERANCE["float32"] * (1 + abs(wrong)):
                fail(f"{name}: devuelve {why}; debe devolver running_loss / len(loader), la media de los "
                     "loss.item() de los lotes")
        fail(f"{name}: devuelve {loss:.4g}, que no es running_loss / len(loader) "
             f"(error {abs(loss - expected_loss):.1e} > tolerancia {TOLERANCE['float32']:.0e})")


# -- evaluate ----------------------------------------------------------------


def evaluate(data, seed):
    name = "evaluate"
    total, right = sum(EVAL_BATCHES), sum(EVAL_CORRECT)
    accuracy = expect_float(data["result"], f"{name}: el valor devuelto")
    if abs(accuracy - right / total) > FRACTION_TOLERANCE:
        per_batch = np.mean(np.divide(EVAL_CORRECT, EVAL_BATCHES))
        if abs(accuracy - per_batch) < FRACTION_TOLERANCE:
            fail(f"{name}: devuelve la media de las precisiones de cada lote; con un último lote más pequeño "
                 "no es la fracción de aciertos sobre todas las muestras (suma aciertos y muestras)")
        if abs(accuracy - 100 * right / total) < 1e-6:
            fail(f"{name}: debe devolver una fracción en [0, 1], no un porcentaje")
        fail(f"{name}: devuelve {accuracy:.4g}, que no es la fracción de muestras cuyo argmax coincide "
             "con la etiqueta (aciertos / número de muestras)")
    forwards = data["forwards"]
    if [forward["batch"] for forward in forwards] != list(EVAL_BATCHES):
        fail(f"{name}: debe hacer un forward por lote del loader: tamaños {list(EVAL_BATCHES)}, "
             f"hubo {[forward['batch'] for forward in forwards]}")
    if not all(forward["training"] is False for forward in forwards):
        fail(f"{name}: debe llamar a model.eval() antes de evaluar")
    if not all(forward["grad_enabled"] is False for forward in forwards):
        fail(f"{name}: debe evaluar sin autograd, dentro de torch.no_grad() o torch.inference_mode()")
    if data["training"] is not False:
        fail(f"{name}: debe dejar el modelo en modo evaluación (no vuelvas a llamar a model.train())")
    if data["intact"] is not True:
        fail(f"{name}: no debe cambiar los pesos del modelo")


# -- train_mnist -------------------------------------------------------------


def expect_recorded_training(run, what, epochs, lr, momentum):
    """losses has ``epochs`` floats, those of train_epoch, with one optimizer of make_sgd_optimizer(model, lr, momentum)."""
    losses = expect_floats(run["losses"], f"{what}: la lista devuelta", epochs)
    optimizers = run["optimizers"]
    if len(optimizers) != 1:
        fail(f"{what}: debe crear un único optimizador con make_sgd_optimizer para todas las épocas; "
             f"lo llamó {len(optimizers)} veces")
    passed = [plain(argument) for argument in optimizers[0]["args"][1:]]
    if passed != [lr, momentum]:
        given = f"lr={passed[0]}, momentum={passed[1]}" if len(passed) == 2 else f"{len(passed)} argumentos además de model"
        fail(f"{what}: debe llamar a make_sgd_optimizer(model, lr, momentum) con lr={lr} y momentum={momentum}, "
             f"los que recibe; le pasó {given}")
    calls = run["epochs"]
    if len(calls) != epochs:
        fail(f"{what}: debe llamar a train_epoch una vez por época ({epochs}), la llamó {len(calls)} veces")
    if [plain(c["result"]) for c in calls] != list(losses):
        fail(f"{what}: losses[i] debe ser lo que devuelve train_epoch en la época i")
    return losses


def accuracy_on_test_digits(arrays, seed):
    """The fraction of the split's 1,000 test digits a ProbeNet with ``arrays`` classifies right."""
    _, _, X_test, y_test = mnist_split(seed)
    return ref.evaluate(with_parameters(arrays), DataLoader(TensorDataset(X_test, y_test), batch_size=1000))


@one_thread()
def train_mnist(data, seed):
    name = "train_mnist"
    rules = data["rules"]
    what = f"{name}(model, loader, {', '.join(f'{k}={v}' for k, v in RULE_RUN.items())})"
    expect_recorded_training(rules, what, **RULE_RUN)
    model = probe_net(seed + 1)
    ref.train_mnist(model, batches(seed + 1), **RULE_RUN)
    expect_close(flat(expect_parameters(rules["params"], f"{what}: parámetros")), flat(reference_parameters(model)),
                 f"{what}: los pesos tras entrenar frente a los de la referencia (un optimizador SGD, "
                 "nn.NLLLoss() y train_epoch en cada época)", TOLERANCE["float32"])

    learned = data["learned"]
    what = f"{name}(model, loader de los 4.000 dígitos, epochs={TRAIN_EPOCHS})"
    losses = expect_recorded_training(learned, what, TRAIN_EPOCHS, lr=0.1, momentum=0.9)
    if not losses[-1] < losses[0]:
        fail(f"{what}: la pérdida debería bajar, pero pasa de {losses[0]:.4f} a {losses[-1]:.4f}")
    accuracy = accuracy_on_test_digits(expect_parameters(learned["params"], f"{what}: parámetros"), seed)
    if not accuracy >= ACCURACY_THRESHOLD:
        fail(f"{what}: la precisión en los 1.000 dígitos de prueba es {accuracy:.1%} < {ACCURACY_THRESHOLD:.0%}")
