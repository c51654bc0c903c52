"""Student submissions for 03_ecuaciones, one function (or the class) redefined each.

Each source is executed after the reference solution in the same namespace,
as a notebook cell would be, so it replaces exactly one contract name and
everything else stays the reference.

``MUTANTS`` are realistic mistakes: each must lose the items in ``fails``
with a message matching ``message``, may also lose ``may_fail`` (the items
whose reference code calls the wrong function) and must keep full marks
everywhere else.  ``ZEROS`` return zeros (or do nothing) with the right
shape and dtype.  ``CORRECT_VARIANTS`` are correct implementations that
differ from the reference and must keep full marks on every item.
"""
import inspect
import textwrap

from harness import items
from mutants import Catalogue, fewer_cases
from solutions import ecuaciones as reference

ASSIGNMENT = "03_ecuaciones"
# The notebook's setup cells, run before any answer.
SETUP = ""
REFERENCE = inspect.getsource(reference)

ITEMS = tuple(items(ASSIGNMENT))  # the master notebook's graded cells, in order

# The items whose reference code calls each name. train_solver and predict_roots
# are graded on the grader's own model, never on the student's QuadraticSolver.
CALLERS = {
    "quadratic_roots": {"test_make_quadratic_data"},
    "make_quadratic_data": set(),
    "QuadraticSolver": set(),
    "train_solver": set(),
    "predict_roots": set(),
}


CATALOGUE = Catalogue(reference, CALLERS)
edit, mutant = CATALOGUE.edit, CATALOGUE.mutant


SORTED = "    return torch.stack([torch.minimum(x1, x2), torch.maximum(x1, x2)], dim=1)\n"
LAYERS = ("            nn.Linear(3, hidden),\n            nn.ReLU(),\n            nn.Linear(hidden, hidden),\n"
          "            nn.ReLU(),\n            nn.Linear(hidden, 2),\n")
ORDER = "        order = torch.randperm(len(coefs), generator=g)\n"

MUTANTS = {
    # -- quadratic_roots -------------------------------------------------------
    "roots_formula_order": mutant("quadratic_roots", edit(
        "quadratic_roots", (SORTED, "    return torch.stack([x1, x2], dim=1)\n")), "orden ascendente"),
    "roots_no_clamp": mutant("quadratic_roots", edit(
        "quadratic_roots", (".clamp(min=0).sqrt()", ".sqrt()")), "NaN.*clamp"),
    "roots_precedence": mutant("quadratic_roots", edit(
        "quadratic_roots", ("x1 = (-b - sqrt_disc) / (2 * a)", "x1 = -b - sqrt_disc / 2 * a"),
        ("x2 = (-b + sqrt_disc) / (2 * a)", "x2 = -b + sqrt_disc / 2 * a")), "error máximo"),
    "roots_python_loop": mutant("quadratic_roots", """
        import math

        def quadratic_roots(coefs):
            roots = []
            for a, b, c in coefs.tolist():
                root = math.sqrt(max(b * b - 4 * a * c, 0.0))
                roots.append(sorted([(-b - root) / (2 * a), (-b + root) / (2 * a)]))
            return torch.tensor(roots, dtype=coefs.dtype)
        """, "vectorizada"),
    "roots_row_by_row_tensors": mutant("quadratic_roots", """
        def quadratic_roots(coefs):
            roots = torch.empty(len(coefs), 2, dtype=coefs.dtype)
            for i in range(len(coefs)):
                a, b, c = coefs[i]
                root = (b ** 2 - 4 * a * c).clamp(min=0).sqrt()
                roots[i] = torch.stack([(-b - root) / (2 * a), (-b + root) / (2 * a)]).sort().values
            return roots
        """, "vectorizada"),
    "roots_always_float32": mutant("quadratic_roots", edit(
        "quadratic_roots", ("    a, b, c = coefs[:, 0]", "    coefs = coefs.float()\n    a, b, c = coefs[:, 0]")),
        "dtype esperado float64, obtenido float32"),
    "roots_citardauq_sign_zero": mutant("quadratic_roots", """
        def quadratic_roots(coefs):
            a, b, c = coefs.unbind(dim=1)
            q = -(b + torch.sign(b) * (b * b - 4 * a * c).clamp(min=0).sqrt()) / 2
            return torch.stack([q / a, c / q], dim=1).sort(dim=1).values
        """, "NaN o infinitos|NaN"),
    # -- make_quadratic_data ---------------------------------------------------
    "data_only_positive_a": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("a = sign * (0.5", "a = (0.5")), "positiva o negativa"),
    "data_keeps_complex_roots": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("        real = b ** 2 - 4 * a * c >= 0\n", ""),
        ("torch.stack([a, b, c], dim=1)[real]", "torch.stack([a, b, c], dim=1)")), "raíces reales"),
    "data_a_near_zero": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("a = sign * (0.5 + 1.5 * torch.rand(m, generator=g))",
                                "a = sign * 2 * torch.rand(m, generator=g)")), r"\[0\.5, 2\]"),
    "data_global_rng": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("    g = torch.Generator().manual_seed(seed)\n", ""),
        ("torch.rand(m, generator=g) < 0.5", "torch.rand(m) < 0.5"),
        ("1.5 * torch.rand(m, generator=g)", "1.5 * torch.rand(m)"),
        ("torch.rand(2, m, generator=g)", "torch.rand(2, m)")), "misma seed"),
    "data_flips_c_instead_of_redrawing": mutant("make_quadratic_data", """
        def make_quadratic_data(n, seed=0):
            g = torch.Generator().manual_seed(seed)
            sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
            a = sign * (0.5 + 1.5 * torch.rand(n, generator=g))
            b, c = 8 * torch.rand(2, n, generator=g) - 4
            c = torch.where(b ** 2 - 4 * a * c < 0, -c, c)
            coefs = torch.stack([a, b, c], dim=1)
            return coefs, quadratic_roots(coefs)
        """, "sortearse de nuevo"),
    "data_filters_once": mutant("make_quadratic_data", """
        def make_quadratic_data(n, seed=0):
            g = torch.Generator().manual_seed(seed)
            sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
            a = sign * (0.5 + 1.5 * torch.rand(n, generator=g))
            b, c = 8 * torch.rand(2, n, generator=g) - 4
            coefs = torch.stack([a, b, c], dim=1)[b ** 2 - 4 * a * c >= 0]
            return coefs, quadratic_roots(coefs)
        """, "forma esperada"),
    "data_bc_normal": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("b, c = 8 * torch.rand(2, m, generator=g) - 4", "b, c = 2 * torch.randn(2, m, generator=g)")),
        r"\[-4, 4\]"),
    "data_roots_unsorted": mutant("make_quadratic_data", edit(
        "make_quadratic_data", ("    return coefs, quadratic_roots(coefs)\n",
                                "    a, b, c = coefs.unbind(dim=1)\n"
                                "    root = (b ** 2 - 4 * a * c).clamp(min=0).sqrt()\n"
                                "    return coefs, torch.stack([(-b - root) / (2 * a), (-b + root) / (2 * a)], dim=1)\n")),
        "orden ascendente"),
    # -- QuadraticSolver ------------------------------------------------------
    "solver_no_activation": mutant("QuadraticSolver", edit(
        "QuadraticSolver", (LAYERS, "            nn.Linear(3, hidden),\n            nn.Linear(hidden, hidden),\n"
                                    "            nn.Linear(hidden, 2),\n")), "afín"),
    "solver_width_ignored": mutant("QuadraticSolver", edit(
        "QuadraticSolver", (LAYERS, LAYERS.replace("hidden", "64"))), "→ 5 →"),
    "solver_bottleneck": mutant("QuadraticSolver", edit(
        "QuadraticSolver", ("nn.Linear(hidden, hidden)", "nn.Linear(hidden, hidden // 2)"),
        ("nn.Linear(hidden, 2)", "nn.Linear(hidden // 2, 2)")), "hidden=64|→ 5 →"),
    "solver_forgets_return": mutant("QuadraticSolver", edit(
        "QuadraticSolver", ("        return self.layers(coefs / 4)", "        self.layers(coefs / 4)")),
        "se esperaba un torch.Tensor"),
    "solver_float64": mutant("QuadraticSolver", edit(
        "QuadraticSolver", ("            nn.Linear(hidden, 2),\n        )", "            nn.Linear(hidden, 2),\n        ).double()"),
        ("self.layers(coefs / 4)", "self.layers(coefs.double() / 4)")), "dtype esperado float32, obtenido float64"),
    "solver_not_a_module": mutant("QuadraticSolver", """
        class QuadraticSolver:
            def __init__(self, hidden=64):
                self.layers = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 2))

            def __call__(self, coefs):
                return self.layers(coefs / 4)
        """, "nn.Module"),
    # -- train_solver ------------------------------------------------------------
    "train_sgd": mutant("train_solver", edit(
        "train_solver", ("optimizer = torch.optim.Adam(", "optimizer = torch.optim.SGD(")),
        "Adam"),
    "train_lr_ignored": mutant("train_solver", edit(
        "train_solver", ("optimizer = torch.optim.Adam(model.parameters(), lr=lr)", "optimizer = torch.optim.Adam(model.parameters())")),
        r"lr=0\.003"),
    "train_no_zero_grad": mutant("train_solver", edit(
        "train_solver", ("            optimizer.zero_grad()\n", "")), "tras el paso 2"),
    "train_optimizer_per_epoch": mutant("train_solver", edit(
        "train_solver", ("    optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n", ""),
        (ORDER, ORDER + "        optimizer = torch.optim.Adam(model.parameters(), lr=lr)\n")), "tras el paso 4"),
    "train_drops_last_batch": mutant("train_solver", edit(
        "train_solver", ("range(0, len(coefs), batch_size)", "range(0, len(coefs) - batch_size + 1, batch_size)")),
        "último"),
    "train_sums_losses": mutant("train_solver", edit(
        "train_solver", ("losses.append(running_loss / batches)", "losses.append(running_loss)")), "suma"),
    "train_last_batch_loss": mutant("train_solver", edit(
        "train_solver", ("losses.append(running_loss / batches)", "losses.append(loss.item())")), r"losses\[0\]"),
    "train_losses_tensors": mutant("train_solver", edit(
        "train_solver", ("running_loss += loss.item()", "running_loss += loss")), "float de Python"),
    "train_never_shuffles": mutant("train_solver", edit(
        "train_solver", ("torch.randperm(len(coefs), generator=g)", "torch.arange(len(coefs))")), "barajarse"),
    "train_global_shuffle": mutant("train_solver", edit(
        "train_solver", ("torch.randperm(len(coefs), generator=g)", "torch.randperm(len(coefs))")), "misma seed"),
    "train_seed_ignored": mutant("train_solver", edit(
        "train_solver", ("manual_seed(seed)", "manual_seed(0)")), "seeds distintas"),
    "train_targets_not_shuffled": mutant("train_solver", edit(
        "train_solver", ("roots[rows])", "roots[start:start + batch_size])")), "Adam"),
    "train_new_model": mutant("train_solver", edit(
        "train_solver", ("    g = torch.Generator()", "    model = QuadraticSolver()\n    g = torch.Generator()")),
        "no llamó al modelo"),
    "train_wrong_defaults": mutant("train_solver", edit(
        "train_solver", ("epochs=200, lr=1e-3", "epochs=20, lr=1e-2")), "por defecto"),
    # -- predict_roots -------------------------------------------------------------
    "predict_unsorted": mutant("predict_roots", edit(
        "predict_roots", ("model(coefs).sort(dim=1).values", "model(coefs)")), "ascendente"),
    "predict_sorts_columns": mutant("predict_roots", edit(
        "predict_roots", ("sort(dim=1)", "sort(dim=0)")), "ascendente|error máximo"),
    "predict_keeps_graph": mutant("predict_roots", edit(
        "predict_roots", ("    with torch.no_grad():\n        return", "    if True:\n        return")), "grafo"),
    "predict_no_eval": mutant("predict_roots", edit(
        "predict_roots", ("    model.eval()\n", "")), r"model\.eval\(\)"),
    "predict_numpy": mutant("predict_roots", edit(
        "predict_roots", (".sort(dim=1).values", ".sort(dim=1).values.numpy()")), "se esperaba un torch.Tensor"),
    "predict_float64": mutant("predict_roots", edit(
        "predict_roots", (".sort(dim=1).values", ".sort(dim=1).values.double()")), "dtype esperado float32"),
}


ZEROS = {
    "zeros_quadratic_roots": mutant("quadratic_roots", """
        def quadratic_roots(coefs):
            return torch.zeros(len(coefs), 2, dtype=coefs.dtype)
        """, ""),
    "zeros_make_quadratic_data": mutant("make_quadratic_data", """
        def make_quadratic_data(n, seed=0):
            return torch.zeros(n, 3), torch.zeros(n, 2)
        """, ""),
    "zeros_QuadraticSolver": mutant("QuadraticSolver", edit(
        "QuadraticSolver", ("return self.layers(coefs / 4)", "return 0 * self.layers(coefs / 4)")), ""),
    "zeros_train_solver": mutant("train_solver", """
        def train_solver(model, coefs, roots, epochs=200, lr=1e-3, batch_size=128, seed=0):
            return [0.0] * epochs
        """, ""),
    "zeros_predict_roots": mutant("predict_roots", """
        def predict_roots(model, coefs):
            return torch.zeros(len(coefs), 2)
        """, ""),
}


CORRECT_VARIANTS = {name: textwrap.dedent(source) for name, source in {
    "roots_citardauq": """
        def quadratic_roots(coefs):
            a, b, c = coefs.unbind(dim=1)
            sqrt_disc = torch.sqrt(torch.clamp(b * b - 4 * a * c, min=0))
            q = -0.5 * (b + torch.copysign(sqrt_disc, b))
            x1 = q / a
            x2 = torch.where(q == 0, x1, c / q)
            return torch.sort(torch.stack([x1, x2], dim=1), dim=1).values
        """,
    "roots_numpy": """
        import numpy as np

        def quadratic_roots(coefs):
            a, b, c = coefs.numpy().T
            s = np.sqrt(np.maximum(b ** 2 - 4 * a * c, 0))
            return torch.from_numpy(np.sort(np.stack([(-b - s) / (2 * a), (-b + s) / (2 * a)], axis=1), axis=1))
        """,
    "roots_where_sign_of_a": """
        def quadratic_roots(coefs):
            a, b, c = (coefs[:, k] for k in range(3))
            root = torch.sqrt(torch.relu(b ** 2 - 4 * a * c))
            low = torch.where(a > 0, -b - root, -b + root) / (2 * a)
            high = torch.where(a > 0, -b + root, -b - root) / (2 * a)
            return torch.stack((low, high), dim=-1)
        """,
    "data_python_random": """
        import random

        def make_quadratic_data(n, seed=0):
            rng = random.Random(seed)
            rows = []
            while len(rows) < n:
                a = rng.choice([-1, 1]) * rng.uniform(0.5, 2)
                b, c = rng.uniform(-4, 4), rng.uniform(-4, 4)
                if b * b - 4 * a * c >= 0:
                    rows.append([a, b, c])
            coefs = torch.tensor(rows, dtype=torch.float32)
            return coefs, quadratic_roots(coefs)
        """,
    "data_numpy_batches": """
        import numpy as np

        def make_quadratic_data(n, seed=0):
            rng = np.random.default_rng(seed)
            coefs = np.empty((0, 3), dtype=np.float32)
            while len(coefs) < n:
                a = rng.uniform(0.5, 2, n) * rng.choice([-1, 1], n)
                b = rng.uniform(-4, 4, n)
                c = rng.uniform(-4, 4, n)
                candidates = np.stack([a, b, c], axis=1).astype(np.float32)
                a, b, c = candidates.T
                coefs = np.concatenate([coefs, candidates[b * b - 4 * a * c >= 0]])
            coefs = torch.from_numpy(coefs[:n])
            a, b, c = coefs.double().unbind(dim=1)
            root = (b * b - 4 * a * c).clamp(min=0).sqrt()
            roots = torch.stack([(-b - root) / (2 * a), (-b + root) / (2 * a)], dim=1).sort(dim=1).values
            return coefs, roots.float()
        """,
    "data_reseeds_global": """
        def make_quadratic_data(n, seed=0):
            torch.manual_seed(seed)
            kept = []
            total = 0
            while total < n:
                a = (torch.rand(n) * 1.5 + 0.5) * (torch.randint(0, 2, (n,)) * 2 - 1)
                b = torch.empty(n).uniform_(-4, 4)
                c = torch.empty(n).uniform_(-4, 4)
                mask = b * b >= 4 * a * c
                kept.append(torch.stack([a, b, c], dim=1)[mask])
                total += int(mask.sum())
            coefs = torch.cat(kept)[:n]
            return coefs, quadratic_roots(coefs)
        """,
    "solver_deeper_tanh": """
        class QuadraticSolver(nn.Module):
            def __init__(self, hidden=64):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(3, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                         nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 2))

            def forward(self, x):
                return self.net(x / 4)
        """,
    "solver_explicit_forward_silu": """
        import torch.nn.functional as F

        class QuadraticSolver(nn.Module):
            def __init__(self, hidden=64):
                super().__init__()
                self.entrada = nn.Linear(3, hidden)
                self.oculta = nn.Linear(hidden, hidden)
                self.salida = nn.Linear(hidden, 2)

            def forward(self, coefs):
                x = F.silu(self.entrada(coefs / 4))
                x = F.silu(self.oculta(x))
                return self.salida(x)
        """,
    "solver_one_hidden_layer_sigmoid": """
        class QuadraticSolver(nn.Sequential):
            def __init__(self, hidden=64):
                super().__init__(nn.Linear(3, hidden), nn.Sigmoid(), nn.Linear(hidden, 2))
        """,
    "train_dataloader_weighted": """
        from torch.utils.data import DataLoader, TensorDataset

        def train_solver(model, coefs, roots, epochs=200, lr=1e-3, batch_size=128, seed=0):
            loader = DataLoader(TensorDataset(coefs, roots), batch_size=batch_size, shuffle=True,
                                generator=torch.Generator().manual_seed(seed))
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            loss_fn = nn.MSELoss()
            losses = []
            for epoch in range(epochs):
                total = 0.0
                for x, y in loader:
                    optimizer.zero_grad()
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(x)
                losses.append(total / len(coefs))
            return losses
        """,
    "train_split_handwritten_mse": """
        def train_solver(model, coefs, roots, epochs=200, lr=1e-3, batch_size=128, seed=0):
            torch.manual_seed(seed)
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            losses = []
            for epoch in range(epochs):
                batch_losses = []
                for rows in torch.randperm(coefs.shape[0]).split(batch_size):
                    pred = model.forward(coefs[rows])
                    loss = ((pred - roots[rows]) ** 2).mean()
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    batch_losses.append(loss.item())
                with torch.no_grad():
                    model(coefs)  # a look at the whole set, not part of the step
                losses.append(sum(batch_losses) / len(batch_losses))
            return losses
        """,
    "predict_inference_mode": """
        def predict_roots(model, coefs):
            model.eval()
            with torch.inference_mode():
                out = model(coefs)
            return torch.sort(out, dim=1).values
        """,
    "predict_min_max_detach": """
        def predict_roots(model, coefs):
            model.train(False)
            out = model(coefs).detach()
            return torch.stack([out.min(dim=1).values, out.max(dim=1).values], dim=1)
        """,
}.items()}

# Probe data shaped like this assignment's, but wrong (the generic wrong shapes are in test_graders).
MALFORMED = {
    "list_of_dicts": [{"weird": 1}] * 3,
    "cases_not_a_list": {"cases": "abc", "events": [1, 2], "swapped": {}, "trained": {}},
    "tensor_with_text": {"cases": [{"roots": {"kind": "tensor", "type": "Tensor", "shape": [108, 2],
                                              "dtype": "float32", "device": "cpu", "array": "zz",
                                              "requires_grad": False}, "intact": True}] * 2,
                         "events": [1, 1]},
    "forwards_not_records": {key: {"losses": {"kind": "list", "type": "list", "length": 3,
                                              "items": [{"kind": "float", "type": "float", "value": 1.0}] * 3},
                                   "intact": True, "final": {"kind": "none"}, "forwards": [1, 2]}
                             for key in ("steps", "again", "other", "one_batch", "a", "b", "c", "small", "one")},
}

# Probe data cut short: the judge must refuse fewer cases than the hidden inputs it regenerates.
TRUNCATED = dict.fromkeys(["test_quadratic_roots", "test_QuadraticSolver"], fewer_cases)
