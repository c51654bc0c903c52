"""Student submissions for 02_xor, one function redefined each.

Each source is executed after the notebook's setup cell and the reference
solution in the same namespace, as a notebook cell would be, so it replaces
exactly one contract function and every other function stays the reference.

``MUTANTS`` are realistic mistakes: each must lose the items in ``fails``
with a message matching ``message``.  ``CALLERS`` lists, for each function,
the items whose *visible* tests run it through the student's own code (the
contract's callers): a mistake may cost those in a real notebook.  The hidden
checks replace every other contract function by a trusted stand-in, so here,
graded through the hidden checks alone, a mutant must keep full marks on every
other item, callers included.  ``ZEROS`` return zeros (or nothing) of the
right shape and type; ``CORRECT_VARIANTS`` are correct implementations that
differ from the reference and must keep full marks on every item.
"""
import inspect
import textwrap

from harness import items, master_cell
from mutants import Catalogue, fewer_cases
from solutions import xor as reference

ASSIGNMENT = "02_xor"
# The notebook's setup cells, run before any answer.
SETUP = master_cell(ASSIGNMENT, "setup") + "\n" + master_cell(ASSIGNMENT, "xor_data")
REFERENCE = inspect.getsource(reference)

ITEMS = tuple(items(ASSIGNMENT))  # the master notebook's graded cells, in order

# Items whose visible tests call each function through the student's code.
CALLERS = {
    "sigmoid": {"test_xor_forward", "test_train_xor_numpy"},
    "sigmoid_derivative": {"test_xor_backward", "test_train_xor_numpy"},
    "xor_forward": {"test_train_xor_numpy"},
    "xor_backward": {"test_train_xor_numpy"},
    "train_xor_numpy": set(),
    "build_xor_net": set(),
    "train_xor_torch": set(),
}


CATALOGUE = Catalogue(reference, CALLERS, stand_ins=True)
edit, mutant = CATALOGUE.edit, CATALOGUE.mutant


SIGMOID_RETURN = "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"
LOSS = "        losses.append(float(np.mean((A2 - XOR_Y) ** 2)))\n"
STEP = "            params[name] = params[name] - lr * grad\n"
START = ('    params = {"W1": rng.standard_normal((2, hidden)), "b1": np.zeros((1, hidden)),\n'
         '              "W2": rng.standard_normal((hidden, 1)), "b2": np.zeros((1, 1))}\n')
TORCH_LOSS = "        losses.append(loss.item())\n"

MUTANTS = {
    # -- sigmoid ----------------------------------------------------------------
    "sigmoid_overflows": mutant("sigmoid", """
        def sigmoid(z):
            return 1 / (1 + np.exp(-z))
        """, "avisa «overflow"),
    "sigmoid_relu": mutant("sigmoid", """
        def sigmoid(z):
            return np.maximum(0, z)
        """, "error absoluto máximo"),
    "sigmoid_clips_at_20": mutant("sigmoid", """
        def sigmoid(z):
            return 1 / (1 + np.exp(-np.clip(z, -20, 20)))
        """, "error absoluto máximo .* > tolerancia 1e-12"),
    "sigmoid_float32": mutant("sigmoid", edit(
        "sigmoid", ("(1 + e), e / (1 + e))", "(1 + e), e / (1 + e)).astype(np.float32)")),
        "dtype esperado float64, obtenido float32"),
    "sigmoid_torch_float32": mutant("sigmoid", """
        def sigmoid(z):
            return torch.sigmoid(torch.tensor(z, dtype=torch.float32)).numpy()
        """, "dtype esperado float64"),
    "sigmoid_returns_tensor": mutant("sigmoid", """
        def sigmoid(z):
            return torch.sigmoid(torch.from_numpy(z))
        """, "se esperaba un numpy.ndarray, se obtuvo Tensor"),
    "sigmoid_clips_in_place": mutant("sigmoid", """
        def sigmoid(z):
            z[z < -500] = -500
            z[z > 500] = 500
            return 1 / (1 + np.exp(-z))
        """, "modificó sus argumentos"),
    # -- sigmoid_derivative --------------------------------------------------------
    "derivative_of_z": mutant("sigmoid_derivative", """
        def sigmoid_derivative(a):
            s = sigmoid(a)
            return s * (1 - s)
        """, r"σ\(a\)·\(1 − σ\(a\)\)"),
    "derivative_wrong_sign": mutant("sigmoid_derivative", edit(
        "sigmoid_derivative", ("a * (1 - a)", "a * (a - 1)")), "error máximo"),
    "derivative_in_place": mutant("sigmoid_derivative", """
        def sigmoid_derivative(a):
            a *= 1 - a
            return a
        """, "modificó sus argumentos"),
    # -- xor_forward -------------------------------------------------------------
    "forward_relu_hidden": mutant("xor_forward", edit(
        "xor_forward", ("    A1 = sigmoid(X @ W1 + b1)\n", "    A1 = np.maximum(0, X @ W1 + b1)\n")), "A1"),
    "forward_no_output_sigmoid": mutant("xor_forward", edit(
        "xor_forward", ("    A2 = sigmoid(A1 @ W2 + b2)\n", "    A2 = A1 @ W2 + b2\n")), "A2"),
    "forward_forgets_b2": mutant("xor_forward", edit(
        "xor_forward", ("    A2 = sigmoid(A1 @ W2 + b2)\n", "    A2 = sigmoid(A1 @ W2)\n")), "A2"),
    "forward_returns_A2_only": mutant("xor_forward", edit(
        "xor_forward", ("return A1, A2", "return A2")), "se esperaba una tupla de 2"),
    "forward_W1_transposed": mutant("xor_forward", edit(
        "xor_forward", ("    A1 = sigmoid(X @ W1 + b1)\n", "    A1 = sigmoid(X @ W1.T + b1)\n")), "A1|lanzó"),
    # -- xor_backward -------------------------------------------------------------
    "backward_notes_sign": mutant("xor_backward", edit(
        "xor_backward", ("(A2 - Y)", "(Y - A2)")), "signo está invertido"),
    "backward_returns_update": mutant("xor_backward", edit(
        "xor_backward", ("return dW1, db1, dW2, db2", "return -0.5 * dW1, -0.5 * db1, -0.5 * dW2, -0.5 * db2")),
        "multiplicado por -0.5"),
    "backward_mean_over_rows": mutant("xor_backward", edit(
        "xor_backward", ("    delta_out = (A2 - Y)", "    delta_out = (A2 - Y) / len(X)")), "multiplicado por"),
    "backward_no_output_derivative": mutant("xor_backward", edit(
        "xor_backward", ("(A2 - Y) * sigmoid_derivative(A2)", "(A2 - Y)")), "derivada de la sigmoide la de la salida"),
    "backward_no_hidden_derivative": mutant("xor_backward", edit(
        "xor_backward", ("error_hidden * sigmoid_derivative(A1)", "error_hidden")),
        "derivada de la sigmoide la de la capa oculta"),
    "backward_derivative_of_activation": mutant("xor_backward", edit(
        "xor_backward", ("sigmoid_derivative(A2)", "sigmoid_derivative(sigmoid(A2))"),
        ("sigmoid_derivative(A1)", "sigmoid_derivative(sigmoid(A1))")), "dW1: error máximo"),
    "backward_db1_not_summed": mutant("xor_backward", edit(
        "xor_backward", ("db1 = np.sum(delta_hidden, axis=0, keepdims=True)", "db1 = delta_hidden")),
        r"db1: forma esperada \(1, 3\), obtenida \(4, 3\); suma sobre las filas"),
    "backward_no_keepdims": mutant("xor_backward", edit(
        "xor_backward", ("db1 = np.sum(delta_hidden, axis=0, keepdims=True)", "db1 = np.sum(delta_hidden, axis=0)")),
        "db1: forma esperada .* conserva la dimensión"),
    "backward_W2_not_transposed": mutant("xor_backward", edit(
        "xor_backward", ("delta_out @ W2.T", "delta_out @ W2")), "lanzó ValueError"),
    "backward_X_not_transposed": mutant("xor_backward", edit(
        "xor_backward", ("dW1 = X.T @ delta_hidden", "dW1 = delta_hidden.T @ X")), "dW1: forma esperada"),
    # -- train_xor_numpy ------------------------------------------------------------
    "train_plus_gradient": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("params[name] - lr * grad", "params[name] + lr * grad")), "sube por el gradiente"),
    "train_loss_after_step": mutant("train_xor_numpy", edit(
        "train_xor_numpy", (LOSS, ""), (STEP, STEP + "        A2_after = xor_forward(XOR_X, *params.values())[1]\n"
                                              "        losses.append(float(np.mean((A2_after - XOR_Y) ** 2)))\n")),
        "antes de su paso"),
    "train_loss_half_sum": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("float(np.mean((A2 - XOR_Y) ** 2))", "float(0.5 * np.sum((A2 - XOR_Y) ** 2))")),
        r"no 0\.5·Σ"),
    "train_losses_numpy_floats": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("float(np.mean((A2 - XOR_Y) ** 2))", "np.mean((A2 - XOR_Y) ** 2)")),
        "se esperaba un float de Python"),
    "train_global_rng": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("rng = np.random.default_rng(seed)", "rng = np.random")), "misma seed"),
    "train_seed_ignored": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("default_rng(seed)", "default_rng(0)")), "seeds distintas"),
    "train_uniform_start": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ('rng.standard_normal((2, hidden))', 'rng.random((2, hidden))'),
        ('rng.standard_normal((hidden, 1))', 'rng.random((hidden, 1))')), r"N\(0, 1\)"),
    "train_small_start": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ('rng.standard_normal((2, hidden))', '0.1 * rng.standard_normal((2, hidden))'),
        ('rng.standard_normal((hidden, 1))', '0.1 * rng.standard_normal((hidden, 1))')), r"N\(0, 1\)"),
    "train_random_biases": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ('"b1": np.zeros((1, hidden))', '"b1": rng.standard_normal((1, hidden))')),
        "sesgos b1 y b2 deben empezar en cero"),
    "train_per_row_updates": mutant("train_xor_numpy", """
        def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
            rng = np.random.default_rng(seed)
            params = {"W1": rng.standard_normal((2, hidden)), "b1": np.zeros((1, hidden)),
                      "W2": rng.standard_normal((hidden, 1)), "b2": np.zeros((1, 1))}
            losses = []
            for _ in range(epochs):
                A2 = xor_forward(XOR_X, *params.values())[1]
                losses.append(float(np.mean((A2 - XOR_Y) ** 2)))
                for i in range(4):
                    x, y = XOR_X[i:i + 1], XOR_Y[i:i + 1]
                    A1, A2 = xor_forward(x, *params.values())
                    grads = xor_backward(x, y, params["W2"], A1, A2)
                    for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
                        params[name] = params[name] - lr * grad
            return params, losses
        """, "tras 3 pasos W -= lr"),
    "train_params_tuple": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("return params, losses", "return tuple(params.values()), losses")),
        "params debe ser un dict"),
    "train_default_lr_too_small": mutant("train_xor_numpy", edit(
        "train_xor_numpy", ("lr=0.5", "lr=0.05")), "lr por defecto, 0.5"),
    # -- build_xor_net ---------------------------------------------------------------
    "net_no_output_sigmoid": mutant("build_xor_net", edit(
        "build_xor_net", (", nn.Linear(hidden, 1), nn.Sigmoid())", ", nn.Linear(hidden, 1))")),
        "falta la sigmoide de salida"),
    "net_relu_hidden": mutant("build_xor_net", edit(
        "build_xor_net", ("nn.Linear(2, hidden), nn.Sigmoid()", "nn.Linear(2, hidden), nn.ReLU()")), "ReLU"),
    "net_hidden_ignored": mutant("build_xor_net", edit(
        "build_xor_net", ("nn.Linear(2, hidden), nn.Sigmoid(), nn.Linear(hidden, 1)",
                          "nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)")), r"capa 1: weight: forma esperada"),
    "net_three_layers": mutant("build_xor_net", edit(
        "build_xor_net", ("nn.Linear(2, hidden), nn.Sigmoid(),", "nn.Linear(2, hidden), nn.Sigmoid(), "
                          "nn.Linear(hidden, hidden), nn.Sigmoid(),")), "2 capas nn.Linear .* usó 3"),
    "net_reseeds": mutant("build_xor_net", edit(
        "build_xor_net", ("    return nn.Sequential", "    torch.manual_seed(0)\n    return nn.Sequential")),
        "no debe fijar la semilla"),
    "net_float64": mutant("build_xor_net", edit(
        "build_xor_net", ("nn.Sigmoid())\n", "nn.Sigmoid()).double()\n")), "dtype esperado float32|lanzó"),
    "net_flat_output": mutant("build_xor_net", edit(
        "build_xor_net", ("nn.Sigmoid())\n", "nn.Sigmoid(), nn.Flatten(0))\n")), r"forma esperada \(4, 1\)"),
    # -- train_xor_torch --------------------------------------------------------------
    "torch_adam": mutant("train_xor_torch", edit(
        "train_xor_torch", ("optim.SGD(", "optim.Adam(")), r"torch\.optim\.SGD"),
    "torch_momentum": mutant("train_xor_torch", edit(
        "train_xor_torch", ("lr=lr)", "lr=lr, momentum=0.9)")), r"torch\.optim\.SGD"),
    "torch_bce": mutant("train_xor_torch", edit(
        "train_xor_torch", ("criterion = nn.MSELoss()", "criterion = nn.BCELoss()")),
        r"losses\[0\] debe ser nn\.MSELoss"),
    "torch_sum_loss": mutant("train_xor_torch", edit(
        "train_xor_torch", ("criterion = nn.MSELoss()", "criterion = nn.MSELoss(reduction='sum')")), r"losses\[0\]"),
    "torch_no_zero_grad": mutant("train_xor_torch", edit(
        "train_xor_torch", ("        optimizer.zero_grad()\n", "")), r"torch\.optim\.SGD"),
    "torch_lr_ignored": mutant("train_xor_torch", edit(
        "train_xor_torch", ("lr=lr)", "lr=1.0)")), r"torch\.optim\.SGD"),
    "torch_loss_after_step": mutant("train_xor_torch", edit(
        "train_xor_torch", (TORCH_LOSS, "        losses.append(criterion(model(X), Y).item())\n")),
        r"losses\[0\] .*antes del paso"),
    "torch_losses_tensors": mutant("train_xor_torch", edit(
        "train_xor_torch", ("loss.item()", "loss")), "se esperaba un float de Python"),
    "torch_new_model": mutant("train_xor_torch", edit(
        "train_xor_torch", ("    optimizer = optim.SGD", "    model = build_xor_net(3)\n    optimizer = optim.SGD")),
        "no cambiaron|lanzó"),
}


ZEROS = {
    "zeros_sigmoid": mutant("sigmoid", """
        def sigmoid(z):
            return np.zeros(np.shape(z))
        """, ""),
    "zeros_sigmoid_derivative": mutant("sigmoid_derivative", """
        def sigmoid_derivative(a):
            return np.zeros_like(a)
        """, ""),
    "zeros_xor_forward": mutant("xor_forward", """
        def xor_forward(X, W1, b1, W2, b2):
            return np.zeros((len(X), W1.shape[1])), np.zeros((len(X), 1))
        """, ""),
    "zeros_xor_backward": mutant("xor_backward", """
        def xor_backward(X, Y, W2, A1, A2):
            h = W2.shape[0]
            return np.zeros((2, h)), np.zeros((1, h)), np.zeros((h, 1)), np.zeros((1, 1))
        """, ""),
    "zeros_train_xor_numpy": mutant("train_xor_numpy", """
        def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
            params = {"W1": np.zeros((2, hidden)), "b1": np.zeros((1, hidden)),
                      "W2": np.zeros((hidden, 1)), "b2": np.zeros((1, 1))}
            return params, [0.0] * epochs
        """, ""),
    "zeros_build_xor_net": mutant("build_xor_net", """
        class Zeros(nn.Module):
            def forward(self, x):
                return torch.zeros(len(x), 1)

        def build_xor_net(hidden=3):
            return Zeros()
        """, ""),
    "zeros_train_xor_torch": mutant("train_xor_torch", """
        def train_xor_torch(model, X, Y, lr=1.0, epochs=5000):
            return [0.0] * epochs
        """, ""),
}


CORRECT_VARIANTS = {name: textwrap.dedent(source) for name, source in {
    "sigmoid_expit": """
        from scipy.special import expit

        def sigmoid(z):
            return expit(z)
        """,
    "sigmoid_tanh": """
        def sigmoid(z):
            return 0.5 * (1 + np.tanh(z / 2))
        """,
    "sigmoid_errstate": """
        def sigmoid(z):
            with np.errstate(over="ignore"):
                return 1 / (1 + np.exp(-z))
        """,
    "sigmoid_clips_at_500": """
        def sigmoid(z):
            return 1 / (1 + np.exp(-np.clip(z, -500, 500)))
        """,
    "sigmoid_torch_float64": """
        def sigmoid(z):
            return torch.sigmoid(torch.as_tensor(z, dtype=torch.float64)).numpy()
        """,
    "derivative_expanded": """
        def sigmoid_derivative(a):
            return a - a ** 2
        """,
    "forward_torch_sigmoid": """
        def xor_forward(X, W1, b1, W2, b2):
            A1 = torch.sigmoid(torch.from_numpy(np.dot(X, W1) + b1)).numpy()
            A2 = torch.sigmoid(torch.from_numpy(np.dot(A1, W2) + b2)).numpy()
            return A1, A2
        """,
    "forward_notes_names": """
        def xor_forward(X, W1, b1, W2, b2):
            hidden_layer_input = np.dot(X, W1) + b1
            hidden_layer_output = sigmoid(hidden_layer_input)
            output_layer_input = np.dot(hidden_layer_output, W2) + b2
            predicted_output = sigmoid(output_layer_input)
            return hidden_layer_output, predicted_output
        """,
    "backward_notes_style": """
        def xor_backward(X, Y, W2, A1, A2):
            error = Y - A2
            d_predicted_output = error * sigmoid_derivative(A2)
            error_hidden_layer = d_predicted_output.dot(W2.T)
            d_hidden_layer = error_hidden_layer * sigmoid_derivative(A1)
            return (-X.T.dot(d_hidden_layer), -np.sum(d_hidden_layer, axis=0, keepdims=True),
                    -A1.T.dot(d_predicted_output), -np.sum(d_predicted_output, axis=0, keepdims=True))
        """,
    "backward_einsum": """
        def xor_backward(X, Y, W2, A1, A2):
            d2 = (A2 - Y) * A2 * (1 - A2)
            d1 = np.einsum("nk,hk->nh", d2, W2) * A1 * (1 - A1)
            return (np.einsum("ni,nh->ih", X, d1), d1.sum(0)[None, :],
                    np.einsum("nh,nk->hk", A1, d2), d2.sum(0, keepdims=True))
        """,
    "train_legacy_randomstate": """
        def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
            rs = np.random.RandomState(seed)
            W1, W2 = rs.randn(2, hidden), rs.randn(hidden, 1)
            b1, b2 = np.zeros((1, hidden)), np.zeros((1, 1))
            losses = []
            for epoch in range(epochs):
                A1, A2 = xor_forward(XOR_X, W1, b1, W2, b2)
                losses.append(np.mean(np.square(XOR_Y - A2)).item())
                dW1, db1, dW2, db2 = xor_backward(XOR_X, XOR_Y, W2, A1, A2)
                W1 -= lr * dW1
                b1 -= lr * db1
                W2 -= lr * dW2
                b2 -= lr * db2
            return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, losses
        """,
    "train_reseeds_global": """
        def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
            np.random.seed(seed)
            params = {"W1": np.random.normal(0, 1, (2, hidden)), "b1": np.zeros((1, hidden)),
                      "W2": np.random.normal(0, 1, (hidden, 1)), "b2": np.zeros((1, 1))}
            losses = []
            for _ in range(epochs):
                A1, A2 = xor_forward(XOR_X, **params)
                losses.append(float(((A2 - XOR_Y) ** 2).mean()))
                for name, grad in zip(["W1", "b1", "W2", "b2"], xor_backward(XOR_X, XOR_Y, params["W2"], A1, A2)):
                    params[name] -= lr * grad
            return params, losses
        """,
    "train_torch_generator": """
        def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
            g = torch.Generator().manual_seed(seed)
            W2 = torch.randn(hidden, 1, generator=g, dtype=torch.float64).numpy()
            W1 = torch.randn(2, hidden, generator=g, dtype=torch.float64).numpy()
            b1, b2 = np.zeros((1, hidden)), np.zeros((1, 1))
            losses = []
            for _ in range(epochs):
                A1, A2 = xor_forward(XOR_X, W1, b1, W2, b2)
                losses.append(float(np.mean((A2 - XOR_Y) ** 2)))
                dW1, db1, dW2, db2 = xor_backward(XOR_X, XOR_Y, W2, A1, A2)
                W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
            return dict(W1=W1, b1=b1, W2=W2, b2=b2), losses
        """,
    "net_class_reversed_attributes": """
        class RedXOR(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.salida = nn.Linear(hidden, 1)   # declared first, used last
                self.oculta = nn.Linear(2, hidden)

            def forward(self, x):
                return torch.sigmoid(self.salida(torch.sigmoid(self.oculta(x))))

        def build_xor_net(hidden=3):
            return RedXOR(hidden)
        """,
    "net_sequential_with_names": """
        from collections import OrderedDict

        def build_xor_net(hidden=3):
            return nn.Sequential(OrderedDict([
                ("oculta", nn.Linear(2, hidden)), ("sigmoide_oculta", nn.Sigmoid()),
                ("salida", nn.Linear(hidden, 1)), ("sigmoide_salida", nn.Sigmoid())]))
        """,
    "torch_manual_sgd_step": """
        def train_xor_torch(model, X, Y, lr=1.0, epochs=5000):
            losses = []
            for _ in range(epochs):
                model.zero_grad()
                loss = ((model(X) - Y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    for p in model.parameters():
                        p -= lr * p.grad
                losses.append(float(loss))
            return losses
        """,
    "torch_functional_loss_and_train_mode": """
        import torch.nn.functional as F

        def train_xor_torch(model, X, Y, lr=1.0, epochs=5000):
            model.train()
            optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.0)
            losses = []
            for epoch in range(epochs):
                prediction = model(X)
                loss = F.mse_loss(prediction, Y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return losses
        """,
}.items()}

# Probe data shaped like this assignment's, but wrong (the generic wrong shapes are in test_graders).
MALFORMED = {
    "list_of_dicts": [{"weird": 1}] * 4,
    "cases_not_a_list": {"cases": "abc", "default": {}, "reseeds": False, "steps": "abc", "learn": {}},
    "array_with_text": [{"s": {"kind": "ndarray", "type": "ndarray", "shape": [15], "dtype": "float64",
                               "array": "zz"}, "intact": True, "warnings": []}] * 4,
}

# Probe data cut short: the judge must refuse fewer cases than the hidden inputs it regenerates.
TRUNCATED = dict.fromkeys(["test_sigmoid", "test_sigmoid_derivative", "test_xor_forward", "test_xor_backward"], fewer_cases)
