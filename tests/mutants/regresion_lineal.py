"""Student submissions for 01_regresion_lineal, one function redefined each.

Each source is executed after the reference solution in the same namespace,
as a notebook cell would be, so it replaces exactly one contract function and
every other function stays the reference.

``MUTANTS`` are realistic mistakes: each must lose the items in ``fails``
with a message matching ``message``, may also lose ``may_fail`` (the items
whose code, in the reference, calls the wrong function) and must keep full
marks everywhere else.  ``ZEROS`` return zeros (or nothing) of the right
shape and dtype: they show that no value check is satisfied trivially.
``CORRECT_VARIANTS`` are correct implementations that differ from the
reference and must keep full marks on every item.

A submission that is the reference with a small change is written as an
``edit`` of the reference's source; only genuinely different code is spelt out.
"""
import inspect
import textwrap

from harness import items
from mutants import Catalogue, fewer_cases
from solutions import regresion_lineal as reference

ASSIGNMENT = "01_regresion_lineal"
# The notebook's setup cells, run before any answer.
SETUP = ""
REFERENCE = inspect.getsource(reference)

ITEMS = tuple(items(ASSIGNMENT))  # the master notebook's graded cells, in order

# The items whose reference code calls each function (contract: train_* use the
# student's mse_gradients; the reference also calls linear_forward and mse_loss).
CALLERS = {
    "make_regression_data": set(),
    "linear_forward": {"test_mse_gradients", "test_autograd_gradients", "test_train_gd",
                       "test_train_minibatch_sgd"},
    "mse_loss": {"test_autograd_gradients", "test_train_gd", "test_train_minibatch_sgd"},
    "mse_gradients": {"test_train_gd", "test_train_minibatch_sgd"},
    "autograd_gradients": set(),
    "train_gd": set(),
    "train_minibatch_sgd": set(),
}


CATALOGUE = Catalogue(reference, CALLERS)
edit, mutant = CATALOGUE.edit, CATALOGUE.mutant


# Whole lines of the reference's train_gd / train_minibatch_sgd, and the edit that starts
# both from float32 W and b whatever the dtype of X.
LOSS = "        losses.append(mse_loss(linear_forward(X, W, b), Y).item())\n"
ORDER = "        order = torch.randperm(X.shape[0], generator=g)\n"
ROWS = "            rows = order[start:start + batch_size]\n"
FLOAT32_START = (("generator=g, dtype=X.dtype)", "generator=g)"),
                 ("zeros(Y.shape[1], dtype=X.dtype)", "zeros(Y.shape[1])"))

MUTANTS = {
    # -- make_regression_data ------------------------------------------------
    "data_ignores_sigma": mutant("make_regression_data", edit(
        "make_regression_data", ("sigma * torch.randn(n, K", "torch.randn(n, K")), "sigma"),
    "data_global_rng": mutant("make_regression_data", edit(
        "make_regression_data", ("    g = torch.Generator().manual_seed(seed)\n", ""),
        ("randn(n, d, generator=g)", "randn(n, d)"), ("randn(d, K, generator=g)", "randn(d, K)"),
        ("randn(K, generator=g)", "randn(K)"), ("randn(n, K, generator=g)", "randn(n, K)")), "misma seed"),
    "data_uniform_X": mutant("make_regression_data", edit(
        "make_regression_data", ("X = torch.randn", "X = torch.rand")), r"X debe seguir N\(0, 1\)"),
    "data_numpy_float64": mutant("make_regression_data", """
        import numpy as np

        def make_regression_data(n, d, K, sigma=0.1, seed=0):
            rng = np.random.default_rng(seed)
            X = torch.from_numpy(rng.standard_normal((n, d)))
            W_true = torch.from_numpy(rng.standard_normal((d, K)))
            b_true = torch.from_numpy(rng.standard_normal(K))
            Y = X @ W_true + b_true + sigma * torch.from_numpy(rng.standard_normal((n, K)))
            return X, Y, W_true, b_true
        """, "dtype esperado float32, obtenido float64"),
    # -- linear_forward -------------------------------------------------------
    "forward_W_transposed": mutant("linear_forward", edit(
        "linear_forward", ("return X @ W + b", "return X @ W.T + b")), "lanzó RuntimeError"),
    "forward_float64": mutant("linear_forward", edit(
        "linear_forward", ("return X @ W + b", "return X.double() @ W.double() + b.double()")),
        "dtype esperado float32, obtenido float64"),
    "forward_no_bias": mutant("linear_forward", edit(
        "linear_forward", ("return X @ W + b", "return X @ W")), "error máximo"),
    "forward_keeps_graph": mutant("linear_forward", edit(
        "linear_forward", ("return X @ W + b", "return X @ W.requires_grad_(True) + b")),
        "modificó sus argumentos|requires_grad|grafo"),
    # -- mse_loss -------------------------------------------------------------
    "loss_mean_over_all_entries": mutant("mse_loss", edit(
        "mse_loss", (".mean(dim=0).sum()", ".mean()")), "media sobre las n·K"),
    "loss_item": mutant("mse_loss", edit(
        "mse_loss", (".sum()", ".sum().item()")), "se esperaba un torch.Tensor, se obtuvo float"),
    "loss_mean_over_columns": mutant("mse_loss", edit(
        "mse_loss", (".mean(dim=0).sum()", ".sum(dim=0).mean()")), "error máximo"),
    "loss_no_square": mutant("mse_loss", edit(
        "mse_loss", ("((Y_hat - Y) ** 2)", "(Y_hat - Y).abs()")), "error máximo"),
    "loss_detached": mutant("mse_loss", edit(
        "mse_loss", ("(Y_hat - Y)", "(Y_hat.detach() - Y)")), "diferenciable"),
    "loss_in_place": mutant("mse_loss", edit(
        "mse_loss", ("    return ((Y_hat - Y) ** 2)", "    Y -= Y_hat\n    return (Y ** 2)")),
        "modificó sus argumentos"),
    "loss_shape_1": mutant("mse_loss", edit(
        "mse_loss", (".sum()", ".sum().reshape(1)")), r"forma esperada \(\), obtenida \(1,\)"),
    # -- mse_gradients --------------------------------------------------------
    "grad_one_over_n": mutant("mse_gradients", edit(
        "mse_gradients", ("dW = (2 / n)", "dW = (1 / n)"), ("db = (2 / n)", "db = (1 / n)")),
        "error máximo"),
    "grad_sum_not_mean": mutant("mse_gradients", edit(
        "mse_gradients", ("dW = (2 / n)", "dW = 2"), ("db = (2 / n)", "db = 2")), "error máximo"),
    "grad_dW_transposed": mutant("mse_gradients", edit(
        "mse_gradients", ("* X.T @ residual", "* (X.T @ residual).T")), r"dW: forma esperada"),
    "grad_RT_X": mutant("mse_gradients", edit(
        "mse_gradients", ("X.T @ residual", "residual.T @ X")), r"dW: forma esperada"),
    "grad_wrong_sign": mutant("mse_gradients", edit(
        "mse_gradients", ("linear_forward(X, W, b) - Y", "Y - linear_forward(X, W, b)")), "signo"),
    "grad_db_keepdim": mutant("mse_gradients", edit(
        "mse_gradients", ("sum(dim=0)", "sum(dim=0, keepdim=True)")), r"db: forma esperada"),
    "grad_db_mean": mutant("mse_gradients", edit(
        "mse_gradients", ("residual.sum(dim=0)", "residual.mean(dim=0)")), "db: error máximo"),
    "grad_backward": mutant("mse_gradients", """
        def mse_gradients(X, Y, W, b):
            with torch.enable_grad():
                W_ = W.detach().clone().requires_grad_(True)
                b_ = b.detach().clone().requires_grad_(True)
                loss = mse_loss(linear_forward(X, W_, b_), Y)
                loss.backward()
            return W_.grad, b_.grad
        """, "sin autograd"),
    "grad_autograd_grad": mutant("mse_gradients", """
        def mse_gradients(X, Y, W, b):
            with torch.set_grad_enabled(True):
                W_ = W.detach().clone()
                b_ = b.detach().clone()
                W_.requires_grad = True
                b_.requires_grad = True
                loss = mse_loss(linear_forward(X, W_, b_), Y)
                dW, db = torch.autograd.grad(loss, (W_, b_))
            return dW, db
        """, "sin autograd"),
    "grad_torch_func": mutant("mse_gradients", """
        from torch import func

        def mse_gradients(X, Y, W, b):
            loss = lambda W, b: mse_loss(linear_forward(X, W, b), Y)
            return torch.func.grad(loss, argnums=(0, 1))(W, b)
        """, "sin autograd"),
    # Autograd reached from outside the function's own source.
    "grad_torch_func_imported_outside": mutant("mse_gradients", """
        from torch.func import grad as _grad

        def mse_gradients(X, Y, W, b):
            return _grad(lambda W, b: mse_loss(linear_forward(X, W, b), Y), argnums=(0, 1))(W, b)
        """, "sin autograd"),
    "grad_autograd_in_helper": mutant("mse_gradients", """
        def _gradients(X, Y, W, b):
            with torch.enable_grad():
                W_ = W.detach().clone().requires_grad_(True)
                b_ = b.detach().clone().requires_grad_(True)
                return torch.autograd.grad(mse_loss(linear_forward(X, W_, b_), Y), (W_, b_))

        def mse_gradients(X, Y, W, b):
            return _gradients(X, Y, W, b)
        """, "sin autograd"),
    # -- autograd_gradients ---------------------------------------------------
    "autograd_calls_mse_gradients": mutant("autograd_gradients", """
        def autograd_gradients(X, Y, W, b):
            return mse_gradients(X.detach(), Y.detach(), W.detach(), b.detach())
        """, "autograd"),
    "autograd_on_caller_tensors": mutant("autograd_gradients", """
        def autograd_gradients(X, Y, W, b):
            W.requires_grad_()
            b.requires_grad_()
            loss = mse_loss(linear_forward(X, W, b), Y)
            loss.backward()
            return W.grad.detach().clone(), b.grad.detach().clone()
        """, r"requires_grad|\.grad"),
    "autograd_leaves_grad": mutant("autograd_gradients", """
        def autograd_gradients(X, Y, W, b):
            if not W.requires_grad:
                W = W.detach().clone().requires_grad_(True)
                b = b.detach().clone().requires_grad_(True)
            loss = mse_loss(linear_forward(X, W, b), Y)
            loss.backward()
            return W.grad.detach().clone(), b.grad.detach().clone()
        """, r"\.grad"),
    "autograd_create_graph": mutant("autograd_gradients", edit(
        "autograd_gradients", ("(W_leaf, b_leaf))", "(W_leaf, b_leaf), create_graph=True)")), "grafo"),
    "autograd_wrong_sign": mutant("autograd_gradients", edit(
        "autograd_gradients", ("grad(loss,", "grad(-loss,")), "signo"),
    # -- train_gd -------------------------------------------------------------
    "gd_global_rng": mutant("train_gd", edit(
        "train_gd", ("    g = torch.Generator().manual_seed(seed)\n", ""), ("generator=g, ", "")),
        "misma seed"),
    "gd_seed_ignored": mutant("train_gd", edit(
        "train_gd", ("manual_seed(seed)", "manual_seed(0)")), "seeds distintas"),
    "gd_loss_before_step": mutant("train_gd", edit(
        "train_gd", (LOSS, ""), ("range(epochs):\n", "range(epochs):\n" + LOSS)), r"losses\[i\]"),
    "gd_start_std_1": mutant("train_gd", edit(
        "train_gd", ("W = 0.1 * torch", "W = torch")), r"0\.1·N\(0, 1\)"),
    "gd_plus_gradient": mutant("train_gd", edit(
        "train_gd", ("W = W - lr", "W = W + lr"), ("b = b - lr", "b = b + lr")), "W - lr·dW"),
    "gd_losses_tensors": mutant("train_gd", edit(
        "train_gd", (".item())", ")")), "se esperaba un float de Python"),
    "gd_returns_leaves": mutant("train_gd", edit(
        "train_gd", ("return W, b,", "return W.requires_grad_(True), b.requires_grad_(True),")),
        "requires_grad=True"),
    "gd_float32_start": mutant("train_gd", edit("train_gd", *FLOAT32_START), "dtype|float64"),
    "gd_uses_autograd_gradients": mutant("train_gd", edit(
        "train_gd", ("= mse_gradients(", "= autograd_gradients(")),
        "llamar a mse_gradients una vez por época"),
    "gd_one_epoch_too_many": mutant("train_gd", edit(
        "train_gd", ("losses = []", "losses = [mse_loss(linear_forward(X, W, b), Y).item()]")),
        "se esperaban 4 elementos"),
    # -- train_minibatch_sgd --------------------------------------------------
    "sgd_drops_last_batch": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", ("X.shape[0], batch_size)", "X.shape[0] - batch_size + 1, batch_size)")),
        "último"),
    "sgd_never_shuffles": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", (ORDER, ""), (ROWS, ""),
        ("X[rows], Y[rows]", "X[start:start + batch_size], Y[start:start + batch_size]")), "barajarse"),
    "sgd_shuffles_once": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", (ORDER, ""), ("    losses = []\n", ORDER[4:] + "    losses = []\n")),
        "barajarse de nuevo"),
    "sgd_global_shuffle": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", ("randperm(X.shape[0], generator=g)", "randperm(X.shape[0])")), "misma seed"),
    "sgd_full_batch_steps": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", (ROWS, ""), ("X[rows], Y[rows]", "X, Y")), "minilotes"),
    "sgd_rows_of_X_only": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", ("Y[rows]", "Y[start:start + batch_size]")), "filas de Y correspondientes"),
    "sgd_float32_start": mutant("train_minibatch_sgd", edit("train_minibatch_sgd", *FLOAT32_START),
                                "dtype|float64"),
    "sgd_last_batch_loss": mutant("train_minibatch_sgd", edit(
        "train_minibatch_sgd", ("linear_forward(X, W, b), Y)", "linear_forward(X[rows], W, b), Y[rows])")),
        r"losses\[i\]"),
}


# Zeros (or no work at all) of the right shape and dtype: each must fail its item.
ZEROS = {
    "zeros_make_regression_data": mutant("make_regression_data", """
        def make_regression_data(n, d, K, sigma=0.1, seed=0):
            return torch.zeros(n, d), torch.zeros(n, K), torch.zeros(d, K), torch.zeros(K)
        """, ""),
    "zeros_linear_forward": mutant("linear_forward", """
        def linear_forward(X, W, b):
            return torch.zeros(X.shape[0], W.shape[1], dtype=X.dtype)
        """, ""),
    "zeros_mse_loss": mutant("mse_loss", """
        def mse_loss(Y_hat, Y):
            return (0 * Y_hat).sum()
        """, ""),
    "zeros_mse_gradients": mutant("mse_gradients", """
        def mse_gradients(X, Y, W, b):
            return torch.zeros_like(W), torch.zeros_like(b)
        """, ""),
    "zeros_autograd_gradients": mutant("autograd_gradients", """
        def autograd_gradients(X, Y, W, b):
            return torch.zeros_like(W).detach(), torch.zeros_like(b).detach()
        """, ""),
    "zeros_train_gd": mutant("train_gd", """
        def train_gd(X, Y, lr=0.05, epochs=200, seed=0):
            d, K = X.shape[1], Y.shape[1]
            return torch.zeros(d, K, dtype=X.dtype), torch.zeros(K, dtype=X.dtype), [0.0] * epochs
        """, ""),
    "zeros_train_minibatch_sgd": mutant("train_minibatch_sgd", """
        def train_minibatch_sgd(X, Y, lr=0.05, epochs=20, batch_size=32, seed=0):
            d, K = X.shape[1], Y.shape[1]
            return torch.zeros(d, K, dtype=X.dtype), torch.zeros(K, dtype=X.dtype), [0.0] * epochs
        """, ""),
}


CORRECT_VARIANTS = {name: textwrap.dedent(source) for name, source in {
    "data_numpy_default_rng": """
        import numpy as np

        def make_regression_data(n, d, K, sigma=0.1, seed=0):
            rng = np.random.default_rng(seed)
            X = rng.standard_normal((n, d))
            W_true = rng.standard_normal((d, K))
            b_true = rng.standard_normal(K)
            Y = X @ W_true + b_true + sigma * rng.standard_normal((n, K))
            return tuple(torch.tensor(a, dtype=torch.float32) for a in (X, Y, W_true, b_true))
        """,
    "data_reseeds_global": """
        def make_regression_data(n, d, K, sigma=0.1, seed=0):
            torch.manual_seed(seed)
            X = torch.randn(n, d)
            W_true = torch.randn(d, K)
            b_true = torch.randn(K)
            noise = torch.normal(0.0, sigma, size=(n, K)) if sigma > 0 else torch.zeros(n, K)
            return X, X @ W_true + b_true + noise, W_true, b_true
        """,
    "forward_addmm": """
        def linear_forward(X, W, b):
            return torch.addmm(b, X, W)
        """,
    "forward_matmul_add": """
        def linear_forward(X, W, b):
            return torch.matmul(X, W).add(b.unsqueeze(0))
        """,
    "loss_F_mse_sum": """
        import torch.nn.functional as F

        def mse_loss(Y_hat, Y):
            return F.mse_loss(Y_hat, Y, reduction="sum") / Y.shape[0]
        """,
    "loss_sum_over_n": """
        def mse_loss(Y_hat, Y):
            n = Y.shape[0]
            return torch.sum((Y_hat - Y) ** 2) / n
        """,
    "grad_einsum": """
        def mse_gradients(X, Y, W, b):
            n = X.shape[0]
            residual = torch.einsum("nd,dk->nk", X, W) + b - Y
            dW = 2 / n * torch.einsum("nd,nk->dk", X, residual)
            db = 2 / n * torch.einsum("nk->k", residual)
            return dW, db
        """,
    "grad_mentions_backward_in_comment": """
        def mse_gradients(X, Y, W, b):
            # Sin autograd: nada de backward() ni torch.autograd aquí.
            \"\"\"Gradiente a mano (no uso autograd ni .backward()).\"\"\"
            n = X.shape[0]
            residual = X @ W + b - Y
            return 2 * X.T @ residual / n, 2 * residual.mean(dim=0)
        """,
    "grad_set_grad_enabled_false": """
        def mse_gradients(X, Y, W, b):
            with torch.set_grad_enabled(False):
                n = X.shape[0]
                residual = X @ W + b - Y
                return 2 / n * X.T @ residual, 2 / n * residual.sum(dim=0)
        """,
    "autograd_backward_on_copies": """
        def autograd_gradients(X, Y, W, b):
            W_ = W.detach().clone().requires_grad_(True)
            b_ = b.detach().clone().requires_grad_(True)
            mse_loss(linear_forward(X, W_, b_), Y).backward()
            return W_.grad, b_.grad
        """,
    "autograd_torch_func_grad": """
        def autograd_gradients(X, Y, W, b):
            loss = lambda W, b: mse_loss(linear_forward(X, W, b), Y)
            dW, db = torch.func.grad(loss, argnums=(0, 1))(W.detach(), b.detach())
            return dW, db
        """,
    "gd_in_place": edit(
        "train_gd", ("W = W - lr", "W -= lr"), ("b = b - lr", "b -= lr"),
        ("losses.append(", "losses.append(float("), (".item())", "))")),
    "gd_keyword_arguments": edit(
        "train_gd", ("mse_gradients(X, Y, W, b)", "mse_gradients(X, Y, b=b, W=W)"),
        ("W = W - lr * dW\n        b = b - lr * db", "W, b = W - lr * dW, b - lr * db")),
    "gd_reseeds_global": """
        def train_gd(X, Y, lr=0.05, epochs=200, seed=0):
            torch.manual_seed(seed)
            W = torch.randn(X.shape[1], Y.shape[1], dtype=X.dtype) * 0.1
            b = torch.zeros(Y.shape[1], dtype=X.dtype)
            losses = []
            with torch.no_grad():
                for epoch in range(epochs):
                    dW, db = mse_gradients(X, Y, W, b)
                    W = W - lr * dW
                    b = b - lr * db
                    losses.append(mse_loss(X @ W + b, Y).item())
            return W, b, losses
        """,
    "sgd_numpy_permutation": """
        import numpy as np

        def train_minibatch_sgd(X, Y, lr=0.05, epochs=20, batch_size=32, seed=0):
            rng = np.random.default_rng(seed)
            n = X.shape[0]
            W = 0.1 * torch.tensor(rng.standard_normal((X.shape[1], Y.shape[1])), dtype=X.dtype)
            b = torch.zeros(Y.shape[1], dtype=X.dtype)
            losses = []
            for epoch in range(epochs):
                perm = torch.from_numpy(rng.permutation(n))
                for i in range(0, n, batch_size):
                    idx = perm[i:i + batch_size]
                    dW, db = mse_gradients(X[idx], Y[idx], W, b)
                    W = W - lr * dW
                    b = b - lr * db
                losses.append(mse_loss(linear_forward(X, W, b), Y).item())
            return W, b, losses
        """,
    "sgd_generator_per_epoch": edit(
        "train_minibatch_sgd", ("for _ in", "for epoch in"),
        ("randperm(X.shape[0], generator=g)",
         "randperm(X.shape[0], generator=torch.Generator().manual_seed(1000 * seed + epoch))")),
    "sgd_split_in_place": edit(
        "train_minibatch_sgd",
        ("    losses = []\n", "    shuffle = torch.Generator().manual_seed(seed + 12345)\n    losses = []\n"),
        (ORDER + "        for start in range(0, X.shape[0], batch_size):\n" + ROWS,
         "        for rows in torch.randperm(len(X), generator=shuffle).split(batch_size):\n"),
        ("X[rows], Y[rows]", "X.index_select(0, rows), Y.index_select(0, rows)"),
        ("W = W - lr", "W -= lr"), ("b = b - lr", "b -= lr")),
}.items()}

# Probe data shaped like this assignment's, but wrong (the generic wrong shapes are in test_graders).
MALFORMED = {
    "list_of_dicts": [{"weird": 1}] * 3,
    "cases_not_a_list": {"cases": "abc", "differentiable": True, "grad": {}, "source": "def f(): pass"},
    "tensor_with_text": [{"Y_hat": {"kind": "tensor", "type": "Tensor", "shape": [7, 1], "dtype": "float32",
                                    "device": "cpu", "array": "zz", "requires_grad": False},
                          "intact": True}] * 3,
}

# Probe data cut short: the judge must refuse fewer cases than the hidden inputs it regenerates.
TRUNCATED = dict.fromkeys(["test_linear_forward", "test_mse_loss", "test_mse_gradients", "test_autograd_gradients"], fewer_cases)
