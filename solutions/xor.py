"""Reference for 02_xor: the XOR network by hand in NumPy, then in PyTorch.

The functions below appear, docstring and all, in the solution cells of
``source/02_xor/02_xor.ipynb``; ``XOR_X`` and ``XOR_Y`` are the notebook's
locked data cell.
"""
import numpy as np
from torch import nn, optim

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def sigmoid(z):
    """Sigmoide σ(z) = 1 / (1 + e^(-z)), elemento a elemento.

    z: array float64 de cualquier forma  ->  array float64 de la misma forma.
    Estable para |z| grande: solo calcula e^(-|z|), que nunca desborda.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # en (0, 1]; para |z| > 745 vale 0 (underflow, sin aviso)
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_derivative(a):
    """Derivada de la sigmoide escrita con su salida: si a = σ(z), σ'(z) = a · (1 − a).

    a: array float64 de activaciones (cualquier forma)  ->  array float64 de la misma forma.
    """
    return a * (1 - a)


def xor_forward(X, W1, b1, W2, b2):
    """Propagación hacia adelante de la red 2 → h → 1 con sigmoides.

    X (n, 2), W1 (2, h), b1 (1, h), W2 (h, 1), b2 (1, 1)  ->  (A1 (n, h), A2 (n, 1))
    A1 = sigmoid(X @ W1 + b1),  A2 = sigmoid(A1 @ W2 + b2)
    """
    A1 = sigmoid(X @ W1 + b1)
    A2 = sigmoid(A1 @ W2 + b2)
    return A1, A2


def xor_backward(X, Y, W2, A1, A2):
    """Gradientes de E = 0.5 · Σ (A2 − Y)² respecto a W1, b1, W2 y b2.

    X (n, 2), Y (n, 1), W2 (h, 1), A1 (n, h), A2 (n, 1)
        ->  (dW1 (2, h), db1 (1, h), dW2 (h, 1), db2 (1, 1))
    delta_out = (A2 − Y) ⊙ σ'(Z2),  delta_hidden = (delta_out @ W2ᵀ) ⊙ σ'(Z1),
    con σ'(Z) = sigmoid_derivative(A). Los sesgos suman sobre las filas (keepdims).
    Devuelve el gradiente: un paso de descenso es W -= lr * dW.
    """
    delta_out = (A2 - Y) * sigmoid_derivative(A2)                # (n, 1)
    error_hidden = delta_out @ W2.T                              # (n, h)
    delta_hidden = error_hidden * sigmoid_derivative(A1)         # (n, h)
    dW2 = A1.T @ delta_out
    db2 = np.sum(delta_out, axis=0, keepdims=True)
    dW1 = X.T @ delta_hidden
    db1 = np.sum(delta_hidden, axis=0, keepdims=True)
    return dW1, db1, dW2, db2


def train_xor_numpy(hidden=3, lr=0.5, epochs=10000, seed=0):
    """Entrena la red XOR con descenso por gradiente de lote completo sobre XOR_X, XOR_Y.

    -> (params, losses): params = {"W1" (2, h), "b1" (1, h), "W2" (h, 1), "b2" (1, 1)},
    float64; losses: list[float] de longitud epochs.
    Pesos iniciales N(0, 1) (con `seed`), sesgos a cero. En cada época: forward,
    losses[i] = mean((A2 − Y)²) de ese forward (antes del paso), xor_backward y
    un paso W -= lr * dW para los cuatro parámetros.
    """
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((2, hidden)), "b1": np.zeros((1, hidden)),
              "W2": rng.standard_normal((hidden, 1)), "b2": np.zeros((1, 1))}
    losses = []
    for _ in range(epochs):
        A1, A2 = xor_forward(XOR_X, params["W1"], params["b1"], params["W2"], params["b2"])
        losses.append(float(np.mean((A2 - XOR_Y) ** 2)))
        grads = xor_backward(XOR_X, XOR_Y, params["W2"], A1, A2)
        for name, grad in zip(("W1", "b1", "W2", "b2"), grads):
            params[name] = params[name] - lr * grad
    return params, losses


def build_xor_net(hidden=3):
    """La red XOR en PyTorch: Linear(2, hidden) → sigmoide → Linear(hidden, 1) → sigmoide.

    -> nn.Module en float32: entrada (n, 2), salida (n, 1) con valores en (0, 1).
    """
    return nn.Sequential(nn.Linear(2, hidden), nn.Sigmoid(), nn.Linear(hidden, 1), nn.Sigmoid())


def train_xor_torch(model, X, Y, lr=1.0, epochs=5000):
    """Entrena `model` en el sitio con torch.optim.SGD (lote completo) y nn.MSELoss().

    X (n, 2), Y (n, 1) float32  ->  losses: list[float] de longitud epochs;
    losses[i] es la pérdida de la época i, calculada antes de su paso.
    """
    optimizer = optim.SGD(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(X), Y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
