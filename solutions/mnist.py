"""Reference for 04_mnist: MNIST with a third hidden layer of 32 and optim.SGD.

The class and functions below appear, docstrings and all, in the solution
cells of ``source/04_mnist/04_mnist.ipynb``.
"""
import torch
from torch import nn, optim


class MNISTNet3(nn.Module):
    """RedMNIST con una tercera capa oculta de 32 neuronas.

    Capas Linear 784 → 128 → 64 → 32 → 10, con ReLU entre ellas y log_softmax a la salida.
    Entrada x (B, 1, 28, 28) o (B, 784) con píxeles en [0, 1]; salida (B, 10):
    log-probabilidades de las 10 clases.
    """

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(
            nn.Linear(784, 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 32),
            nn.ReLU(),
            nn.Linear(32, 10),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x):
        """x (B, 1, 28, 28) o (B, 784)  ->  (B, 10) log-probabilidades."""
        x = self.flatten(x)
        return self.stack(x)


def make_sgd_optimizer(model, lr=0.1, momentum=0.9):
    """Un optimizador torch.optim.SGD sobre todos los parámetros de `model`.

    Con la tasa de aprendizaje `lr` y el `momentum` dados; el resto de opciones de
    SGD, por defecto (sin Nesterov, dampening 0, weight_decay 0).
    """
    return optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def train_epoch(model, loader, optimizer, criterion):
    """Una época de entrenamiento: devuelve running_loss / len(loader) como float.

    Pone el modelo en modo entrenamiento (model.train()) y, para cada lote
    (x (B, 1, 28, 28), y (B,)) del loader: zero_grad, forward, pérdida
    criterion(salida, y), backward y step. running_loss acumula loss.item().
    """
    model.train()
    running_loss = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    return running_loss / len(loader)


def evaluate(model, loader):
    """Fracción en [0, 1] de todas las muestras del loader cuyo argmax coincide con la etiqueta.

    Cuenta aciertos y muestras lote a lote (no promedia las precisiones de los lotes),
    con model.eval() y bajo torch.no_grad(); el modelo queda en modo evaluación.
    """
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            predicted = model(images).argmax(dim=1)
            correct += (predicted == labels).sum().item()
            total += labels.shape[0]
    return correct / total


def train_mnist(model, train_loader, epochs=5, lr=0.1, momentum=0.9):
    """Entrena `model` en su sitio con SGD; devuelve el running_loss de cada época.

    Un único optimizador make_sgd_optimizer(model, lr, momentum) para todas las
    épocas, nn.NLLLoss() y train_epoch en cada época. Devuelve list[float] de
    longitud `epochs`.
    """
    optimizer = make_sgd_optimizer(model, lr, momentum)
    criterion = nn.NLLLoss()
    losses = []
    for _ in range(epochs):
        losses.append(train_epoch(model, train_loader, optimizer, criterion))
    return losses
