"""The worker's runtime facts (engine.watch) and cell outputs (engine.worker.run_step), in one process.

Each cell runs through ``worker.run_step`` in an IPython shell set up as the worker sets it up, after the
zygote's warm-up, so what is seen here is what a sandboxed child records.
"""
import pytest
from IPython.core.interactiveshell import InteractiveShell

from autograder.engine import watch, worker, zygote

SETUP = "import numpy as np\nimport torch\nfrom torch import nn, optim\nimport matplotlib.pyplot as plt\n"


@pytest.fixture(scope="module")
def shell():
    zygote.warm()
    shell = worker.new_shell()
    yield shell
    # worker.new_shell() made this process's InteractiveShell singleton, its tracebacks silenced:
    # a later test of the same process (test_kernel_check, under pytest-xdist) makes a shell of its own.
    InteractiveShell.clear_instance()


def run(shell, source):
    """The record of ``source`` run as one step, the watch started just before it."""
    replaced = watch.Watch(shell).changed
    return worker.run_step(shell, "05_perceptron", {"kind": "code", "source": source}, [], replaced)


HONEST = {
    "imports": SETUP,
    "training": SETUP + "net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))\n"
                        "for opt in (optim.SGD(net.parameters(), lr=0.1), optim.RMSprop(net.parameters())):\n"
                        "    opt.zero_grad(); net(torch.ones(4, 2)).sum().backward(); opt.step()\n",
    "subclass": SETUP + "class Red(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                        "        self.capa = nn.Linear(2, 1)\n    def forward(self, x):\n        return self.capa(x)\n"
                        "Red()(torch.zeros(1, 2))",
    "plots": SETUP + "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nplt.show()\nplt.close(fig)\n",
    "magics": "%matplotlib inline\n%config InlineBackend.figure_format = 'retina'\n",
    "warnings": SETUP + "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
                        "    np.exp(1000.0)\n",
    "seeds": SETUP + "np.random.seed(0); torch.manual_seed(0); import random; random.seed(0)\n",
    "autograd": SETUP + "x = torch.ones(3, requires_grad=True)\ntorch.autograd.grad((x ** 2).sum(), x)\n",
    "error": "1 / 0",
}


@pytest.mark.parametrize("name", HONEST)
def test_honest_code_replaces_nothing(shell, name):
    record = run(shell, HONEST[name])
    assert record["replaced"] == []
    assert record["error"] is None or name == "error", record["error"]  # %matplotlib inline runs as a no-op


TAMPERING = {
    "torch function": ("import torch\ntorch.autograd.grad = lambda *a, **k: None", "torch.autograd.grad"),
    "probe module": ("import importlib\np = importlib.import_module('autograder.checks.' + 'probing')\n"
                     "setattr(p, 'source_of', lambda ns, name: 'def f(): pass')", "autograder.checks.probing.source_of"),
    "sys.modules": ("import sys, types\nsys.modules['autograder.checks.probing'] = types.ModuleType('x')",
                    "sys.modules['autograder.checks.probing']"),
    "tensor method": ("import torch\ntorch.Tensor.backward = lambda self, *a, **k: None", "torch.Tensor.backward"),
    "builtins": ("import builtins\nbuiltins.open = print", "builtins.open"),
    "trace hook": ("import sys\nsys.settrace(lambda *a: None)", "sys.gettrace()"),
    "input transformer": ("get_ipython().input_transformers_post.append(lambda lines: lines)",
                          "shell.input_transformers_post"),
    "event callback": ("get_ipython().events.register('pre_run_cell', lambda *a: None)",
                       "shell.events['pre_run_cell']"),
    "run_cell": ("ip = get_ipython()\nip.run_cell = print", "shell.run_cell"),
}


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_is_seen_once_by_the_step_that_made_it(name):
    """Each pattern in a fresh shell (it breaks the one it runs in): named by its step, not by the next."""
    source, seen = TAMPERING[name]
    shell = InteractiveShell(colors="nocolor", displayhook_class=worker.ValueHook)
    replaced = watch.Watch(shell).changed
    import sys

    import torch
    from autograder.checks import probing
    saved = {m: dict(vars(m)) for m in (torch, torch.autograd, sys.modules["builtins"], sys, probing)}
    modules, backward = dict(sys.modules), torch.Tensor.backward
    try:
        record = worker.run_step(shell, "05_perceptron", {"kind": "code", "source": source}, [], replaced)
        assert record["error"] is None, record["error"]
        assert seen in record["replaced"]
        assert replaced() == []
    finally:
        sys.settrace(None)
        sys.modules.update(modules)
        torch.Tensor.backward = backward
        for module, namespace in saved.items():
            vars(module).update(namespace)


def test_a_cell_shows_its_output_its_value_and_its_error_capped(shell):
    record = run(shell, "print('hola')\nimport sys\nprint('aviso', file=sys.stderr)\n6 * 7")
    assert record["outputs"] == {"stdout": "hola\n", "stderr": "aviso\n", "value": "42"}
    record = run(shell, "print('x' * 10_000)\n1 / 0")
    assert record["error"] == "ZeroDivisionError: division by zero"
    stdout = record["outputs"]["stdout"]
    assert stdout.startswith("x" * 4000) and stdout.endswith("(salida recortada: 6001 caracteres más)")
    assert record["outputs"]["value"] is None
