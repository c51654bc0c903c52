"""Reference for 05_perceptron: Rosenblatt's perceptron in NumPy, float64.

The functions below appear, docstring and all, in the solution cells of
``source/05_perceptron/05_perceptron.ipynb``; ``PUERTAS_X``, ``Y_AND``,
``Y_OR`` and ``Y_XOR`` are the notebook's locked data cell.
"""
import numpy as np

PUERTAS_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y_AND = np.array([0, 0, 0, 1], dtype=np.float64)
Y_OR = np.array([0, 1, 1, 1], dtype=np.float64)
Y_XOR = np.array([0, 1, 1, 0], dtype=np.float64)


def step(z):
    """Función escalón, elemento a elemento: 1.0 donde z > 0 y 0.0 en el resto (también en z = 0).

    z: array de cualquier forma  ->  array float64 de la misma forma, con valores 0.0 o 1.0.
    """
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def perceptron_predict(X, w, b):
    """Predicciones del perceptrón para las n filas de X: step(X @ w + b).

    X (n, d), w (d,), b número real  ->  y_hat (n,) float64, con valores 0.0 o 1.0.
    """
    return step(X @ w + b)


def perceptron_update(x, y, w, b, lr):
    """Regla de Rosenblatt para un ejemplo: error = y − step(x · w + b).

    x (d,), y 0.0 o 1.0, w (d,), b número real, lr número real
        ->  (w_new (d,) float64, b_new número real)
    w_new = w + lr · error · x,  b_new = b + lr · error. No modifica sus argumentos.
    """
    error = y - step(x @ w + b)
    return w + lr * error * x, b + lr * error


def train_perceptron(X, y, lr=0.1, epochs=100, seed=0):
    """Entrena un perceptrón ejemplo a ejemplo con perceptron_update.

    X (n, d), y (n,) con valores 0.0 o 1.0
        ->  (w (d,) float64, b número real, errors: list[int] de longitud epochs)
    w empieza N(0, 1) con `seed`, b en 0.0. Cada época recorre las filas en orden,
    i = 0, ..., n − 1, y llama a perceptron_update(X[i], y[i], w, b, lr);
    errors[e] cuenta las filas de la época e mal predichas antes de su actualización.
    """
    w = np.random.default_rng(seed).standard_normal(X.shape[1])
    b = 0.0
    errors = []
    for _ in range(epochs):
        wrong = 0
        for i in range(len(X)):
            wrong += int(step(X[i] @ w + b) != y[i])
            w, b = perceptron_update(X[i], y[i], w, b, lr)
        errors.append(wrong)
    return w, b, errors
