"""Reference for 03_ecuaciones: a multilayer network that solves a·x² + b·x + c = 0.

The functions and the class below appear, docstrings and all, in the solution
cells of ``source/03_ecuaciones/03_ecuaciones.ipynb``.
"""
import torch
from torch import nn


def quadratic_roots(coefs):
    """Raíces reales de a·x² + b·x + c = 0 con la fórmula cerrada, sin bucles.

    coefs (n, 3) con filas (a, b, c)  ->  roots (n, 2), cada fila en orden ascendente,
    del mismo dtype que coefs. El discriminante se limita a 0 antes de la raíz
    cuadrada: una raíz doble con coeficientes inexactos sale dos veces, no como NaN.
    """
    a, b, c = coefs[:, 0], coefs[:, 1], coefs[:, 2]
    sqrt_disc = (b ** 2 - 4 * a * c).clamp(min=0).sqrt()
    x1 = (-b - sqrt_disc) / (2 * a)
    x2 = (-b + sqrt_disc) / (2 * a)
    return torch.stack([torch.minimum(x1, x2), torch.maximum(x1, x2)], dim=1)


def make_quadratic_data(n, seed=0):
    """Genera n ecuaciones de segundo grado con raíces reales, y sus raíces.

    Devuelve (coefs, roots), float32:
    - coefs (n, 3): filas (a, b, c) con a uniforme en [-2, -0.5] ∪ [0.5, 2]
      y b, c uniformes en [-4, 4]
    - roots (n, 2): las dos raíces reales de cada ecuación, en orden ascendente
    Solo se conservan las ecuaciones con b² - 4ac >= 0: se sortea de nuevo hasta
    tener n. La misma `seed` da siempre los mismos datos, sin tocar el generador global.
    """
    g = torch.Generator().manual_seed(seed)
    coefs = torch.empty(0, 3)
    while len(coefs) < n:
        m = 2 * n  # alrededor del 65 % de las ecuaciones tiene raíces reales
        sign = torch.where(torch.rand(m, generator=g) < 0.5, -1.0, 1.0)
        a = sign * (0.5 + 1.5 * torch.rand(m, generator=g))
        b, c = 8 * torch.rand(2, m, generator=g) - 4
        real = b ** 2 - 4 * a * c >= 0
        coefs = torch.cat([coefs, torch.stack([a, b, c], dim=1)[real]])
    coefs = coefs[:n]
    return coefs, quadratic_roots(coefs)


class QuadraticSolver(nn.Module):
    """Perceptrón multicapa 3 -> hidden -> hidden -> 2 que aproxima las dos raíces.

    forward: coefs (n, 3) en bruto, filas (a, b, c)  ->  (n, 2), float32.
    Las entradas se escalan dentro de forward (b y c en [-4, 4] pasan a [-1, 1]),
    así que quien llama pasa los coeficientes tal cual.
    """

    def __init__(self, hidden=64):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(3, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, coefs):
        return self.layers(coefs / 4)


def train_solver(model, coefs, roots, epochs=200, lr=1e-3, batch_size=128, seed=0):
    """Entrena `model` en el sitio con Adam y el error cuadrático medio.

    coefs (n, 3), roots (n, 2)  ->  losses: list[float] de longitud epochs.
    Cada época baraja las filas (con `seed`) y recorre minilotes consecutivos de
    `batch_size`, incluido el último, más pequeño; cada minilote es un paso de
    torch.optim.Adam(model.parameters(), lr=lr) sobre nn.MSELoss()(model(coefs), roots).
    losses[i] es la media de las pérdidas de los minilotes de la época i.
    """
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    model.train()
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(coefs), generator=g)
        running_loss, batches = 0.0, 0
        for start in range(0, len(coefs), batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(coefs[rows]), roots[rows])
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            batches += 1
        losses.append(running_loss / batches)
    return losses


def predict_roots(model, coefs):
    """Raíces que predice `model`, cada fila en orden ascendente.

    coefs (n, 3)  ->  roots (n, 2) float32, calculadas con model.eval() y sin grafo
    de autograd.
    """
    model.eval()
    with torch.no_grad():
        return model(coefs).sort(dim=1).values
