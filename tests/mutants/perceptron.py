"""Student submissions for 05_perceptron, one function redefined each.

Each source is executed after the notebook's setup and data cells and the
reference solution in the same namespace, as a notebook cell would be, so it
replaces exactly one contract function and every other function stays the
reference.

``MUTANTS`` are realistic mistakes: each must lose the items in ``fails``
with a message matching ``message``, may also lose ``may_fail`` and must keep
full marks everywhere else.  ``CALLERS`` lists, for each function, the items
whose hidden checks run it through the student's code: the probes replace
``step`` and ``perceptron_predict`` by trusted stand-ins, but by the contract
``train_perceptron`` uses the student's ``perceptron_update``, so a mistake
there may also cost ``test_train_perceptron``.  ``ZEROS`` return zeros (or
nothing) of the right shape and type; ``CORRECT_VARIANTS`` are correct
implementations that differ from the reference and must keep full marks.
"""
import inspect
import textwrap

from harness import items, master_cell
from mutants import Catalogue, fewer_cases
from solutions import perceptron as reference

ASSIGNMENT = "05_perceptron"
# The notebook's setup cells, run before any answer.
SETUP = master_cell(ASSIGNMENT, "setup") + "\n" + master_cell(ASSIGNMENT, "puertas_data")
REFERENCE = inspect.getsource(reference)

ITEMS = tuple(items(ASSIGNMENT))  # the master notebook's graded cells, in order

# Items whose hidden checks run each function through the student's code.
CALLERS = {
    "step": set(),
    "perceptron_predict": set(),
    "perceptron_update": {"test_train_perceptron"},
    "train_perceptron": set(),
}


CATALOGUE = Catalogue(reference, CALLERS)
edit, mutant = CATALOGUE.edit, CATALOGUE.mutant


STEP_RETURN = "    return np.where(np.asarray(z) > 0, 1.0, 0.0)\n"
START = "    w = np.random.default_rng(seed).standard_normal(X.shape[1])\n"
COUNT = "            wrong += int(step(X[i] @ w + b) != y[i])\n"
UPDATE_CALL = "            w, b = perceptron_update(X[i], y[i], w, b, lr)\n"

MUTANTS = {
    # -- step -------------------------------------------------------------------
    "step_at_zero_is_one": mutant("step", edit("step", ("> 0, 1.0", ">= 0, 1.0")), "donde z = 0 debe valer 0"),
    "step_threshold": mutant("step", edit("step", ("> 0, 1.0", "> 1e-9, 1.0")), r"falla en \d+ de"),
    "step_booleans": mutant("step", edit("step", (STEP_RETURN, "    return np.asarray(z) > 0\n")),
                            "dtype esperado float64, obtenido bool"),
    "step_integers": mutant("step", edit("step", (STEP_RETURN, "    return (np.asarray(z) > 0).astype(int)\n")),
                            "dtype esperado float64, obtenido int64"),
    "step_sign": mutant("step", """
        def step(z):
            return np.sign(z)
        """, "solo puede contener 0 y 1"),
    "step_heaviside_half": mutant("step", """
        def step(z):
            return np.heaviside(z, 0.5)
        """, "solo puede contener 0 y 1; se obtuvo 0.5"),
    "step_notes_scalar": mutant("step", """
        def step(z):
            return 1.0 if z > 0 else 0.0
        """, "lanzó ValueError"),
    "step_list_comprehension": mutant("step", """
        def step(z):
            return np.array([1.0 if v > 0 else 0.0 for v in z])
        """, "lanzó ValueError|forma esperada"),
    "step_in_place": mutant("step", """
        def step(z):
            z[z > 0] = 1.0
            z[z <= 0] = 0.0
            return z
        """, "modificó sus argumentos"),
    # -- perceptron_predict -------------------------------------------------------
    "predict_at_zero_is_one": mutant("perceptron_predict", """
        def perceptron_predict(X, w, b):
            return np.where(X @ w + b >= 0, 1.0, 0.0)
        """, r"donde X @ w \+ b = 0 debe valer 0"),
    "predict_column": mutant("perceptron_predict", edit(
        "perceptron_predict", ("return step(X @ w + b)", "return step(X @ w.reshape(-1, 1) + b)")),
        r"forma esperada \(\d+,\), obtenida \(\d+, 1\); X @ w"),
    "predict_forgets_b": mutant("perceptron_predict", edit(
        "perceptron_predict", ("return step(X @ w + b)", "return step(X @ w)")), r"falla en \d+ de"),
    "predict_minus_b": mutant("perceptron_predict", edit(
        "perceptron_predict", ("return step(X @ w + b)", "return step(X @ w - b)")), r"falla en \d+ de"),
    "predict_no_step": mutant("perceptron_predict", edit(
        "perceptron_predict", ("return step(X @ w + b)", "return X @ w + b")), "solo puede contener 0 y 1"),
    "predict_integers": mutant("perceptron_predict", """
        def perceptron_predict(X, w, b):
            return (X @ w + b > 0).astype(int)
        """, "dtype esperado float64, obtenido int64"),
    "predict_normalises_w_in_place": mutant("perceptron_predict", """
        def perceptron_predict(X, w, b):
            norm = np.linalg.norm(w) or 1.0
            w /= norm  # the same line, with unit weights
            return step(X @ w + b / norm)
        """, "modificó sus argumentos"),
    # -- perceptron_update -------------------------------------------------------
    "update_error_reversed": mutant("perceptron_update", edit(
        "perceptron_update", ("error = y - step(x @ w + b)", "error = step(x @ w + b) - y")), "no al revés"),
    "update_forgets_lr": mutant("perceptron_update", edit(
        "perceptron_update", ("return w + lr * error * x, b + lr * error", "return w + error * x, b + error")),
        "falta multiplicar por lr"),
    "update_forgets_bias": mutant("perceptron_update", edit(
        "perceptron_update", ("b + lr * error\n", "b\n")), "el sesgo también se actualiza"),
    "update_at_zero_is_one": mutant("perceptron_update", """
        def perceptron_update(x, y, w, b, lr):
            prediction = 1.0 if np.dot(x, w) + b >= 0 else 0.0
            error = y - prediction
            return w + lr * error * x, b + lr * error
        """, r"step\(0\) = 0"),
    "update_bias_without_lr": mutant("perceptron_update", edit(
        "perceptron_update", ("b + lr * error\n", "b + error\n")), r"b_new = b \+ lr · error: error máximo"),
    "update_in_place": mutant("perceptron_update", """
        def perceptron_update(x, y, w, b, lr):
            error = y - step(np.dot(x, w) + b)
            w += error * lr * x
            b += error * lr
            return w, b
        """, "modificó sus argumentos"),
    "update_label_not_error": mutant("perceptron_update", edit(
        "perceptron_update", ("return w + lr * error * x, b + lr * error", "return w + lr * y * x, b + lr * y")),
        r"w_new = w \+ lr · error · x: error máximo"),
    "update_returns_one_array": mutant("perceptron_update", edit(
        "perceptron_update", ("return w + lr * error * x, b + lr * error",
                              "return np.append(w + lr * error * x, b + lr * error)")),
        "se esperaba una tupla de 2"),
    "update_bias_array": mutant("perceptron_update", edit(
        "perceptron_update", ("b + lr * error\n", "np.array([b + lr * error])\n")),
        "b_new: se esperaba un número real"),
    # -- train_perceptron ---------------------------------------------------------
    "train_shuffles": mutant("train_perceptron", edit(
        "train_perceptron", ("        for i in range(len(X)):\n",
                             "        for i in np.random.default_rng(seed).permutation(len(X)):\n")),
        "en orden, sin barajar"),
    "train_global_rng": mutant("train_perceptron", edit(
        "train_perceptron", (START, "    w = np.random.randn(X.shape[1])\n")), "misma seed"),
    "train_seed_ignored": mutant("train_perceptron", edit(
        "train_perceptron", ("default_rng(seed)", "default_rng(0)")), "seeds distintas"),
    "train_uniform_start": mutant("train_perceptron", edit(
        "train_perceptron", ("standard_normal(X.shape[1])", "random(X.shape[1])")), r"N\(0, 1\)"),
    "train_random_bias": mutant("train_perceptron", edit(
        "train_perceptron", ("    b = 0.0\n", "    b = float(np.random.default_rng(seed + 1).normal())\n")),
        r"b debe empezar en 0\.0"),
    "train_counts_after_update": mutant("train_perceptron", edit(
        "train_perceptron", (COUNT, ""), (UPDATE_CALL, UPDATE_CALL + COUNT)), "antes de su actualización"),
    "train_stops_early": mutant("train_perceptron", edit(
        "train_perceptron", ("        errors.append(wrong)\n", "        errors.append(wrong)\n"
                             "        if wrong == 0:\n            break\n")), r"errors: se esperaban \d+ elementos"),
    "train_inline_rule": mutant("train_perceptron", edit(
        "train_perceptron", (UPDATE_CALL, "            error = y[i] - step(X[i] @ w + b)\n"
                             "            w, b = w + lr * error * X[i], b + lr * error\n")),
        "debe llamar a perceptron_update una vez por fila y época"),
    "train_discards_update": mutant("train_perceptron", edit(
        "train_perceptron", (UPDATE_CALL, "            perceptron_update(X[i], y[i], w, b, lr)\n")),
        "debe partir de los"),
    "train_lr_ignored": mutant("train_perceptron", edit(
        "train_perceptron", ("w, b, lr)\n", "w, b, 0.1)\n")), "debe recibir lr=0.5"),
    "train_numpy_counts": mutant("train_perceptron", edit(
        "train_perceptron", ("wrong += int(step(X[i] @ w + b) != y[i])", "wrong += step(X[i] @ w + b) != y[i]")),
        "se esperaba un int de Python"),
    "train_forgets_lr_argument": mutant("train_perceptron", """
        def perceptron_update(x, y, w, b, lr=0.1):
            error = y - step(x @ w + b)
            return w + lr * error * x, b + lr * error

        def train_perceptron(X, y, lr=0.1, epochs=100, seed=0):
            w, b = np.random.default_rng(seed).standard_normal(X.shape[1]), 0.0
            errors = []
            for _ in range(epochs):
                errors.append(0)
                for i in range(len(X)):
                    errors[-1] += int(step(X[i] @ w + b) != y[i])
                    w, b = perceptron_update(X[i], y[i], w, b)
            return w, b, errors
        """, r"debe recibir 5 argumentos \(x, y, w, b, lr\), recibió 4"),
    "train_returns_dict": mutant("train_perceptron", edit(
        "train_perceptron", ("return w, b, errors", 'return {"w": w, "b": b, "errors": errors}')),
        "se esperaba una tupla de 3 elementos, se obtuvo dict"),
    "train_default_lr_too_small": mutant("train_perceptron", edit(
        "train_perceptron", ("lr=0.1, epochs=100", "lr=0.01, epochs=100")),
        "por defecto: perceptron_update debe recibir lr=0.1"),
    "train_returns_start": mutant("train_perceptron", edit(
        "train_perceptron", (START, START + "    start = w\n"), ("return w, b, errors", "return start, b, errors")),
        "debe devolver los"),
}


ZEROS = {
    "zeros_step": mutant("step", """
        def step(z):
            return np.zeros(np.shape(z))
        """, ""),
    "zeros_perceptron_predict": mutant("perceptron_predict", """
        def perceptron_predict(X, w, b):
            return np.zeros(len(X))
        """, ""),
    "zeros_perceptron_update": mutant("perceptron_update", """
        def perceptron_update(x, y, w, b, lr):
            return np.zeros_like(w), 0.0
        """, ""),
    "zeros_train_perceptron": mutant("train_perceptron", """
        def train_perceptron(X, y, lr=0.1, epochs=100, seed=0):
            return np.zeros(X.shape[1]), 0.0, [0] * epochs
        """, ""),
}


CORRECT_VARIANTS = {name: textwrap.dedent(source) for name, source in {
    "step_heaviside": """
        def step(z):
            return np.heaviside(z, 0.0)
        """,
    "step_astype": """
        def step(z):
            return (z > 0).astype(np.float64)
        """,
    "step_product": """
        def step(z):
            return 1.0 * (np.array(z) > 0)
        """,
    "predict_row_by_row": """
        def perceptron_predict(X, w, b):
            return np.array([step(np.dot(x, w) + b) for x in X], dtype=np.float64)
        """,
    "predict_sum": """
        def perceptron_predict(X, w, b):
            z = np.sum(X * w, axis=1) + b
            return np.where(z > 0, 1.0, 0.0)
        """,
    "update_notes_style": """
        def perceptron_update(x, y, w, b, lr):
            w = w.copy()
            prediction = 1 if np.dot(x, w) + b > 0 else 0
            error = y - prediction
            w += error * lr * x
            b += error * lr
            return w, b
        """,
    "update_python_float": """
        def perceptron_update(x, y, w, b, lr):
            error = float(y) - float(step(x @ w + b))
            return w + (lr * error) * x, float(b + lr * error)
        """,
    "train_notes_style": """
        def train_perceptron(X, y, lr=0.1, epochs=100, seed=0):
            weights = np.random.RandomState(seed).randn(X.shape[1])
            bias = 0.0
            errors = []
            for epoch in range(epochs):
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    if perceptron_predict(x_i[np.newaxis, :], weights, bias)[0] != y_i:
                        mistakes += 1
                    weights, bias = perceptron_update(x_i, y_i, weights, bias, lr=lr)
                errors.append(mistakes)
            return weights, bias, errors
        """,
    "train_reseeds_global": """
        def train_perceptron(X, y, lr=0.1, epochs=100, seed=0):
            np.random.seed(seed)
            w, b = np.random.normal(0.0, 1.0, size=X.shape[1]), 0.0
            errors = [0] * epochs
            for e in range(epochs):
                for i in range(X.shape[0]):
                    errors[e] += int(y[i] != (1.0 if X[i] @ w + b > 0 else 0.0))
                    w, b = perceptron_update(x=X[i], y=y[i], w=w, b=b, lr=lr)
            return w, b, errors
        """,
}.items()}

# Probe data shaped like this assignment's, but wrong (the generic wrong shapes are in test_graders).
MALFORMED = {
    "list_of_dicts": [{"weird": 1}] * 6,
    "runs_not_dicts": {"steps": "abc", "again": [], "other": None, "wide": 1, "separable": "x", "xor": 3},
    "array_with_text": [{"s": {"kind": "ndarray", "type": "ndarray", "shape": [11], "dtype": "float64",
                               "array": "zz"}, "intact": True}] * 4,
}


def fewer_calls(data):
    """Drop the last recorded perceptron_update call of the step-by-step run."""
    del data["steps"]["calls"][-1]


# Probe data cut short: the judge must refuse fewer cases or calls than the hidden inputs it regenerates.
TRUNCATED = {**dict.fromkeys(["test_step", "test_perceptron_predict", "test_perceptron_update"], fewer_cases),
             "test_train_perceptron": fewer_calls}
