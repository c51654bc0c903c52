"""Reference for 01_regresion_lineal: K linear regressions and the summed MSE.

The functions below appear, docstring and all, in the solution cells of
``source/01_regresion_lineal/01_regresion_lineal.ipynb``.
"""
import torch


def make_regression_data(n, d, K, sigma=0.1, seed=0):
    """Genera datos sintéticos para K regresiones lineales.

    Devuelve (X, Y, W_true, b_true), todos float32:
    - X (n, d) ~ N(0, 1)
    - W_true (d, K) ~ N(0, 1) y b_true (K,) ~ N(0, 1)
    - Y (n, K) = X @ W_true + b_true + sigma * N(0, 1)
    La misma `seed` da siempre los mismos datos, sin tocar el generador global.
    """
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    W_true = torch.randn(d, K, generator=g)
    b_true = torch.randn(K, generator=g)
    Y = X @ W_true + b_true + sigma * torch.randn(n, K, generator=g)
    return X, Y, W_true, b_true


def linear_forward(X, W, b):
    """Propagación hacia adelante de K regresiones lineales.

    X (n, d), W (d, K), b (K,)  ->  Y_hat (n, K) = X @ W + b
    """
    return X @ W + b


def mse_loss(Y_hat, Y):
    """Suma sobre las K columnas del error cuadrático medio de cada columna.

    Y_hat (n, K), Y (n, K)  ->  tensor escalar (0 dimensiones):
    sum_k mean_i (Y_hat[i, k] - Y[i, k])**2
    """
    return ((Y_hat - Y) ** 2).mean(dim=0).sum()


def mse_gradients(X, Y, W, b):
    """Gradiente analítico de mse_loss(linear_forward(X, W, b), Y), sin autograd.

    X (n, d), Y (n, K), W (d, K), b (K,)  ->  (dW (d, K), db (K,))
    dW = (2/n) X^T (Y_hat - Y),  db = (2/n) sum_i (Y_hat - Y)
    """
    n = X.shape[0]
    residual = linear_forward(X, W, b) - Y
    dW = (2 / n) * X.T @ residual
    db = (2 / n) * residual.sum(dim=0)
    return dW, db


def autograd_gradients(X, Y, W, b):
    """El mismo gradiente que mse_gradients, obtenido con autograd.

    X (n, d), Y (n, K), W (d, K), b (K,)  ->  (dW (d, K), db (K,)), sin grafo.
    Los tensores del llamador no cambian: ni valores, ni requires_grad, ni .grad.
    """
    W_leaf = W.detach().clone().requires_grad_(True)
    b_leaf = b.detach().clone().requires_grad_(True)
    loss = mse_loss(linear_forward(X.detach(), W_leaf, b_leaf), Y.detach())
    dW, db = torch.autograd.grad(loss, (W_leaf, b_leaf))
    return dW, db


def train_gd(X, Y, lr=0.05, epochs=200, seed=0):
    """Descenso por gradiente con lote completo y mse_gradients.

    X (n, d), Y (n, K)  ->  (W (d, K), b (K,), losses: list[float] de longitud epochs)
    W empieza en 0.1 * N(0, 1) (con `seed`), b en ceros; cada época da un paso
    W -= lr * dW, b -= lr * db; losses[i] es mse_loss sobre todos los datos
    después del paso de la época i.
    """
    g = torch.Generator().manual_seed(seed)
    W = 0.1 * torch.randn(X.shape[1], Y.shape[1], generator=g, dtype=X.dtype)
    b = torch.zeros(Y.shape[1], dtype=X.dtype)
    losses = []
    for _ in range(epochs):
        dW, db = mse_gradients(X, Y, W, b)
        W = W - lr * dW
        b = b - lr * db
        losses.append(mse_loss(linear_forward(X, W, b), Y).item())
    return W, b, losses


def train_minibatch_sgd(X, Y, lr=0.05, epochs=20, batch_size=32, seed=0):
    """Descenso por gradiente estocástico con minilotes y mse_gradients.

    X (n, d), Y (n, K)  ->  (W (d, K), b (K,), losses: list[float] de longitud epochs)
    Mismo punto de partida que train_gd. Cada época baraja las filas (con
    `seed`) y recorre minilotes consecutivos de `batch_size`, incluido el
    último, más pequeño; losses[i] es mse_loss sobre todos los datos al final
    de la época i.
    """
    g = torch.Generator().manual_seed(seed)
    W = 0.1 * torch.randn(X.shape[1], Y.shape[1], generator=g, dtype=X.dtype)
    b = torch.zeros(Y.shape[1], dtype=X.dtype)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(X.shape[0], generator=g)
        for start in range(0, X.shape[0], batch_size):
            rows = order[start:start + batch_size]
            dW, db = mse_gradients(X[rows], Y[rows], W, b)
            W = W - lr * dW
            b = b - lr * db
        losses.append(mse_loss(linear_forward(X, W, b), Y).item())
    return W, b, losses
