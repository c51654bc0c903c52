"""Student submissions for 04_mnist, one class or function redefined each.

Each source is executed after the reference solution in the same namespace,
as a notebook cell would be, so it replaces exactly one contract name and
every other stays the reference.

``MUTANTS`` are realistic mistakes: each must lose the items in ``fails``
with a message matching ``message``, may also lose ``may_fail`` (the items
whose code, by the contract, calls the wrong function: ``train_mnist`` uses
``make_sgd_optimizer`` and ``train_epoch``) and must keep full marks
everywhere else.  ``ZEROS`` do no work and return something of the right
type.  ``CORRECT_VARIANTS`` are correct implementations that differ from the
reference and must keep full marks on every item.
"""
import inspect
import textwrap

from harness import items
from mutants import Catalogue
from solutions import mnist as reference

ASSIGNMENT = "04_mnist"
# The notebook's setup cells, run before any answer.
SETUP = "import torch\nimport torch.nn.functional as F\nfrom torch import nn, optim\n"
REFERENCE = inspect.getsource(reference)

ITEMS = tuple(items(ASSIGNMENT))  # the master notebook's graded cells, in order

# The items whose code calls each name: every item but MNISTNet3's runs on the grader's own
# network, and by the contract train_mnist uses make_sgd_optimizer and train_epoch.
CALLERS = {
    "MNISTNet3": set(),
    "make_sgd_optimizer": {"test_train_mnist"},
    "train_epoch": {"test_train_mnist"},
    "evaluate": set(),
    "train_mnist": set(),
}


CATALOGUE = Catalogue(reference, CALLERS)
edit, mutant = CATALOGUE.edit, CATALOGUE.mutant


# Lines of the reference, for edits.
THIRD_LAYER = "            nn.Linear(64, 32),\n            nn.ReLU(),\n            nn.Linear(32, 10),\n"
ZERO_GRAD = "        optimizer.zero_grad()\n"
BACKWARD = "        loss.backward()\n"

MUTANTS = {
    # -- MNISTNet3 ------------------------------------------------------------
    "net_two_hidden_layers": mutant("MNISTNet3", edit(
        "MNISTNet3", (THIRD_LAYER, "            nn.Linear(64, 10),\n")), "son 784→128→64→10"),
    "net_32_and_64_swapped": mutant("MNISTNet3", edit(
        "MNISTNet3", ("nn.Linear(128, 64)", "nn.Linear(128, 32)"), ("nn.Linear(64, 32)", "nn.Linear(32, 64)"),
        ("nn.Linear(32, 10)", "nn.Linear(64, 10)")), "son 784→128→32→64→10"),
    "net_no_relu": mutant("MNISTNet3", edit(
        "MNISTNet3", ("nn.Linear(784, 128),\n            nn.ReLU(),", "nn.Linear(784, 128),"),
        ("nn.Linear(128, 64),\n            nn.ReLU(),", "nn.Linear(128, 64),"),
        ("nn.Linear(64, 32),\n            nn.ReLU(),", "nn.Linear(64, 32),")), "falta la ReLU"),
    "net_softmax": mutant("MNISTNet3", edit(
        "MNISTNet3", ("nn.LogSoftmax(dim=1)", "nn.Softmax(dim=1)")), "parece softmax"),
    "net_raw_scores": mutant("MNISTNet3", edit(
        "MNISTNet3", ("            nn.LogSoftmax(dim=1),\n", "")), "log-probabilidades"),
    "net_log_softmax_over_the_batch": mutant("MNISTNet3", edit(
        "MNISTNet3", ("nn.LogSoftmax(dim=1)", "nn.LogSoftmax(dim=0)")), "cada fila"),
    "net_sigmoid": mutant("MNISTNet3", """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.stack = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.Sigmoid(), nn.Linear(128, 64),
                                           nn.Sigmoid(), nn.Linear(64, 32), nn.Sigmoid(), nn.Linear(32, 10),
                                           nn.LogSoftmax(dim=1))

            def forward(self, x):
                return self.stack(x)
        """, "ReLU entre ellas"),
    "net_relu_on_the_output": mutant("MNISTNet3", """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 32),
                                             nn.Linear(32, 10)])

            def forward(self, x):
                x = x.view(x.shape[0], -1)
                for layer in self.layers:
                    x = F.relu(layer(x))
                return F.log_softmax(x, dim=1)
        """, "error máximo"),
    "net_flattens_the_batch": mutant("MNISTNet3", edit(
        "MNISTNet3", ("x = self.flatten(x)", "x = torch.flatten(x)")), "lanzó RuntimeError"),
    # -- make_sgd_optimizer ---------------------------------------------------
    "sgd_adam": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", ("optim.SGD(model.parameters(), lr=lr, momentum=momentum)",
                               "optim.Adam(model.parameters(), lr=lr)")), "se esperaba un torch.optim.SGD"),
    "sgd_momentum_ignored": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", (", momentum=momentum)", ")")), "momentum esperado"),
    "sgd_nesterov": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", ("momentum=momentum)", "momentum=momentum, nesterov=True)")), "nesterov esperado"),
    "sgd_weight_decay": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", ("momentum=momentum)", "momentum=momentum, weight_decay=1e-4)")),
        "weight_decay esperado"),
    "sgd_fixed_lr": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", ("lr=lr,", "lr=0.01,")), "lr esperado"),
    "sgd_output_layer_forgotten": mutant("make_sgd_optimizer", edit(
        "make_sgd_optimizer", ("model.parameters()", "list(model.parameters())[:-2]")), "todos los parámetros"),
    # -- train_epoch ----------------------------------------------------------
    "epoch_no_zero_grad": mutant("train_epoch", edit("train_epoch", (ZERO_GRAD, "")), "zero_grad"),
    "epoch_zero_grad_before_step": mutant("train_epoch", edit(
        "train_epoch", (ZERO_GRAD, ""), (BACKWARD, BACKWARD + ZERO_GRAD)), "el orden es zero_grad"),
    "epoch_returns_the_sum": mutant("train_epoch", edit(
        "train_epoch", ("return running_loss / len(loader)", "return running_loss")), "la suma"),
    "epoch_accumulates_tensors": mutant("train_epoch", edit(
        "train_epoch", ("running_loss += loss.item()", "running_loss += loss")), r"float de Python \(usa \.item\(\)\)"),
    "epoch_no_train_mode": mutant("train_epoch", edit("train_epoch", ("    model.train()\n", "")), r"model\.train\(\)"),
    "epoch_divides_by_samples": mutant("train_epoch", edit(
        "train_epoch", ("return running_loss / len(loader)", "return running_loss / len(loader.dataset)")),
        r"no es running_loss / len\(loader\)"),
    "epoch_weighted_by_batch_size": mutant("train_epoch", edit(
        "train_epoch", ("+= loss.item()", "+= loss.item() * len(labels)"),
        ("return running_loss / len(loader)", "return running_loss / len(loader.dataset)")),
        "ponderada"),
    "epoch_returns_last_loss": mutant("train_epoch", edit(
        "train_epoch", ("return running_loss / len(loader)", "return loss.item()")), "último lote"),
    # -- evaluate -------------------------------------------------------------
    "eval_mean_of_batch_accuracies": mutant("evaluate", """
        def evaluate(model, loader):
            model.eval()
            accuracies = []
            with torch.no_grad():
                for images, labels in loader:
                    accuracies.append((model(images).argmax(dim=1) == labels).float().mean().item())
            return sum(accuracies) / len(accuracies)
        """, "media de las precisiones"),
    "eval_no_eval_mode": mutant("evaluate", edit("evaluate", ("    model.eval()\n", "")), r"model\.eval\(\)"),
    "eval_with_autograd": mutant("evaluate", edit(
        "evaluate", ("    with torch.no_grad():\n", "    if True:\n")), "no_grad"),
    "eval_percentage": mutant("evaluate", edit(
        "evaluate", ("return correct / total", "return 100 * correct / total")), "porcentaje"),
    "eval_back_to_train_mode": mutant("evaluate", edit(
        "evaluate", ("    return correct / total", "    model.train()\n    return correct / total")),
        "modo evaluación"),
    "eval_divides_by_batches": mutant("evaluate", edit(
        "evaluate", ("return correct / total", "return correct / len(loader)")), "no es la fracción"),
    "eval_returns_a_tensor": mutant("evaluate", edit(
        "evaluate", ("(predicted == labels).sum().item()", "(predicted == labels).sum()")), "float de Python"),
    # -- train_mnist ----------------------------------------------------------
    "train_adam": mutant("train_mnist", edit(
        "train_mnist", ("= make_sgd_optimizer(model, lr, momentum)", "= optim.Adam(model.parameters(), lr=0.003)")),
        "make_sgd_optimizer"),
    "train_optimizer_per_epoch": mutant("train_mnist", edit(
        "train_mnist", ("    optimizer = make_sgd_optimizer(model, lr, momentum)\n", ""),
        ("        losses.append(", "        optimizer = make_sgd_optimizer(model, lr, momentum)\n        losses.append(")),
        "único optimizador"),
    "train_ignores_lr_and_momentum": mutant("train_mnist", edit(
        "train_mnist", ("= make_sgd_optimizer(model, lr, momentum)", "= make_sgd_optimizer(model)")),
        "lr=0.05 y momentum=0.5"),
    "train_own_loop": mutant("train_mnist", """
        def train_mnist(model, train_loader, epochs=5, lr=0.1, momentum=0.9):
            optimizer = make_sgd_optimizer(model, lr, momentum)
            criterion = nn.NLLLoss()
            losses = []
            for epoch in range(epochs):
                running_loss = 0.0
                for images, labels in train_loader:
                    optimizer.zero_grad()
                    loss = criterion(model(images), labels)
                    loss.backward()
                    optimizer.step()
                    running_loss += loss.item()
                losses.append(running_loss / len(train_loader))
            return losses
        """, "train_epoch una vez por época"),
    "train_returns_last_loss": mutant("train_mnist", edit(
        "train_mnist", ("return losses", "return losses[-1]")), "se obtuvo float"),
    "train_one_epoch_short": mutant("train_mnist", edit(
        "train_mnist", ("range(epochs)", "range(epochs - 1)")), "se esperaban 2 elementos"),
    "train_mse_on_log_probabilities": mutant("train_mnist", edit(
        "train_mnist", ("criterion = nn.NLLLoss()",
                        "criterion = lambda out, y: nn.MSELoss()(out, F.one_hot(y, 10).float())")),
        "pesos tras entrenar"),
}


# No work at all, something of the right type: each must fail its item.
ZEROS = {
    "zeros_MNISTNet3": mutant("MNISTNet3", """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.stack = nn.Sequential(nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 32), nn.Linear(32, 10))

            def forward(self, x):
                return torch.full((x.shape[0], 10), -2.302585092994046)
        """, ""),
    "zeros_make_sgd_optimizer": mutant("make_sgd_optimizer", """
        def make_sgd_optimizer(model, lr=0.1, momentum=0.9):
            return optim.SGD(model.parameters(), lr=0.0)
        """, ""),
    "zeros_train_epoch": mutant("train_epoch", """
        def train_epoch(model, loader, optimizer, criterion):
            return 0.0
        """, ""),
    "zeros_evaluate": mutant("evaluate", """
        def evaluate(model, loader):
            return 0.0
        """, ""),
    "zeros_train_mnist": mutant("train_mnist", """
        def train_mnist(model, train_loader, epochs=5, lr=0.1, momentum=0.9):
            return [0.0] * epochs
        """, ""),
}


CORRECT_VARIANTS = {name: textwrap.dedent(source) for name, source in {
    "net_hand_written_forward": """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 64)
                self.fc3 = nn.Linear(64, 32)
                self.fc4 = nn.Linear(32, 10)

            def forward(self, x):
                x = x.view(x.shape[0], -1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                x = F.relu(self.fc3(x))
                return F.log_softmax(self.fc4(x), dim=1)
        """,
    "net_reshape_and_log_softmax_module": """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                            nn.Linear(64, 32), nn.ReLU())
                self.out = nn.Linear(32, 10)
                self.log_softmax = nn.LogSoftmax(dim=-1)

            def forward(self, x):
                return self.log_softmax(self.out(self.hidden(x.reshape(-1, 28 * 28))))
        """,
    "net_sequential_subclass": """
        class MNISTNet3(nn.Sequential):
            def __init__(self):
                super().__init__(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), nn.LogSoftmax(dim=1))
        """,
    "net_layers_created_out_of_order": """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.output = nn.Linear(32, 10)
                self.third = nn.Linear(64, 32)
                self.first = nn.Linear(784, 128)
                self.second = nn.Linear(128, 64)

            def forward(self, x):
                x = torch.flatten(x, start_dim=1)
                for layer in (self.first, self.second, self.third):
                    x = torch.relu(layer(x))
                return torch.log_softmax(self.output(x), dim=1)
        """,
    "net_with_dropout": """
        class MNISTNet3(nn.Module):
            def __init__(self):
                super().__init__()
                self.stack = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                                           nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 32),
                                           nn.ReLU(), nn.Linear(32, 10), nn.LogSoftmax(dim=1))

            def forward(self, x):
                return self.stack(x)
        """,
    "sgd_positional": """
        def make_sgd_optimizer(model, lr=0.1, momentum=0.9):
            return torch.optim.SGD(model.parameters(), lr, momentum)
        """,
    "sgd_explicit_defaults": """
        def make_sgd_optimizer(model, lr=0.1, momentum=0.9):
            return optim.SGD(params=list(model.parameters()), lr=lr, momentum=momentum, dampening=0,
                             weight_decay=0.0, nesterov=False)
        """,
    "sgd_two_parameter_groups": """
        def make_sgd_optimizer(model, lr=0.1, momentum=0.9):
            weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
            biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
            return optim.SGD([{"params": weights}, {"params": biases}], lr=lr, momentum=momentum)
        """,
    "epoch_model_zero_grad_and_counter": """
        def train_epoch(model, loader, optimizer, criterion):
            model.train()
            total, batches = 0.0, 0
            for x, y in loader:
                model.zero_grad()
                loss = criterion(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item()
                batches += 1
            return total / batches
        """,
    "epoch_zero_grad_at_the_end": """
        def train_epoch(model, loader, optimizer, criterion):
            model.train()
            running_loss = 0.0
            for images, labels in loader:
                loss = criterion(model(images), labels)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=False)
                running_loss += loss.item()
            return running_loss / len(loader)
        """,
    "eval_inference_mode_and_cat": """
        def evaluate(model, loader):
            model.eval()
            predictions, targets = [], []
            with torch.inference_mode():
                for images, labels in loader:
                    predictions.append(model(images).argmax(1))
                    targets.append(labels)
            return (torch.cat(predictions) == torch.cat(targets)).float().mean().item()
        """,
    "eval_decorator_and_numpy": """
        import numpy as np

        @torch.no_grad()
        def evaluate(model, loader):
            model.eval()
            hits = []
            for images, labels in loader:
                hits.extend((torch.max(model(images), dim=1).indices == labels).tolist())
            return np.mean(hits)
        """,
    "train_cross_entropy_on_log_probabilities": edit(
        "train_mnist", ("criterion = nn.NLLLoss()", "criterion = nn.CrossEntropyLoss()")),
    "train_keywords_and_progress": """
        def train_mnist(model, train_loader, epochs=5, lr=0.1, momentum=0.9):
            optimizer = make_sgd_optimizer(model, momentum=momentum, lr=lr)
            losses = [train_epoch(model, train_loader, optimizer, criterion=nn.NLLLoss()) for _ in range(epochs)]
            for epoch, loss in enumerate(losses, start=1):
                print(f"Época {epoch} - Error: {loss:.4f}")
            return losses
        """,
}.items()}

# Probe data shaped like this assignment's, but wrong (the generic wrong shapes are in test_graders).
MALFORMED = {
    "module_without_layers": {"module": True, "layers": "zz", "out4": {}, "out2": {}},
    "runs_of_strings": {"rules": "abc", "learned": "abc", "por defecto": "x", "lr=0.05, momentum=0.5": "x"},
    "float_with_text": {"loss": {"kind": "float", "type": "float", "value": "zz"}, "result": {"kind": "float"},
                        "forwards": "abc", "steps": [], "params": []},
}


def cut_layers(data):
    del data["layers"][2:]


def cut_steps(data):
    del data["steps"]["items"][1:]


def cut_parameters(data):
    del data["rules"]["params"]["items"][2:]


# Probe data cut short: the judge must refuse fewer layers, steps or parameters than they should hold.
TRUNCATED = {"test_MNISTNet3": cut_layers, "test_train_epoch": cut_steps, "test_train_mnist": cut_parameters}
