"""Shared probe helpers: call student functions and record what they do.

Probes run where the student's code runs (the sandbox, or the student's
kernel under ``nbgrader autograde``).  They only call, copy and describe;
every verdict is left to the judges.
"""
import inspect
import random
import socket
from contextlib import contextmanager

import numpy as np
import torch

from autograder.checks import messages
from autograder.checks.judging import MAX_MESSAGE
from autograder.checks.wire import describe

NO_NETWORK = "la red está desactivada durante la corrección"


def network_error(exc):
    """Whether ``exc`` comes from trying to reach the network."""
    return isinstance(exc, (ConnectionError, socket.gaierror)) or type(exc).__name__ == "URLError"


class StudentError(Exception):
    """The student's function could not be called or raised; the message is Spanish."""


def student_function(ns, name):
    """The callable ``name`` from the notebook namespace ``ns``."""
    function = ns.get(name)
    if function is None:
        raise StudentError(f"{name}: no está definida (¿ejecutaste su celda?)")
    if not callable(function):
        raise StudentError(f"{name}: se esperaba una función, se encontró {type(function).__name__}")
    return function


def out_of_memory(exc):
    """Whether ``exc`` is a Python MemoryError or torch's allocator failing under the memory limit."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc))


def call(ns, name, *args, **kwargs):
    """Call the student's ``name``; running out of memory raises MemoryError, any other exception a ``StudentError``."""
    function = student_function(ns, name)
    try:
        return function(*args, **kwargs)
    except StudentError:
        raise
    except BaseException as exc:  # SystemExit and friends, too: never let them end a probe
        if isinstance(exc, KeyboardInterrupt):
            raise
        if out_of_memory(exc):
            raise MemoryError(str(exc)) from None
        if network_error(exc):
            raise StudentError(f"{name}: {NO_NETWORK} ({type(exc).__name__})") from None
        raise StudentError(messages.raised(name, type(exc).__name__, str(exc))[:MAX_MESSAGE]) from None


def source_of(ns, name):
    """The source text of the student's ``name``, or None when it cannot be read."""
    try:
        return inspect.getsource(student_function(ns, name))
    except (OSError, TypeError):
        return None


@contextmanager
def using(ns, replacements):
    """Put ``replacements`` {name: value} in ``ns`` while the block runs, then restore ``ns``."""
    missing = object()
    saved = {name: ns.get(name, missing) for name in replacements}
    ns.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                ns.pop(name, None)
            else:
                ns[name] = value


def clone(values):
    """Copies of a dict of tensors or NumPy arrays, so student code never touches the originals."""
    return {key: value.clone() if isinstance(value, torch.Tensor) else np.array(value, copy=True)
            for key, value in values.items()}


def intact(originals, passed):
    """Whether every tensor or array handed to the student still equals its original."""
    return all(torch.equal(original, passed[key]) if isinstance(original, torch.Tensor)
               else bool(np.array_equal(original, passed[key])) for key, original in originals.items())


def scramble_global_rngs(state):
    """Put ``random``, NumPy and torch's global generators in a known state."""
    random.seed(state)
    np.random.seed(state)
    torch.manual_seed(state)


@contextmanager
def preserved_global_rngs():
    """Restore the caller's global RNG states after a probe scrambles them."""
    saved = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.random.set_rng_state(saved[2])


@contextmanager
def recording(ns, name, caller):
    """Replace ``ns[name]`` by a pass-through that records each call.

    Yields a list that receives, per call, the described positional
    arguments and result.  ``caller`` names the function under test, for the
    message when ``name`` itself fails.
    """
    original = student_function(ns, name)
    calls = []

    signature = inspect.signature(original)

    def recorder(*args, **kwargs):
        try:
            values = signature.bind(*args, **kwargs).arguments.values()
        except TypeError:
            values = [*args, *kwargs.values()]
        arguments = [describe(value) for value in values]
        try:
            result = original(*args, **kwargs)
        except NotImplementedError:
            raise StudentError(f"{caller}: usa {name}, que no está implementada") from None
        calls.append({"args": arguments, "result": describe(result)})
        return result

    ns[name] = recorder
    try:
        yield calls
    finally:
        ns[name] = original


@contextmanager
def counting_backward_passes():
    """Count the autograd engine's backward passes while the block runs.

    ``Tensor.backward``, ``torch.autograd.grad`` and ``torch.func`` all reach
    the engine through ``torch.autograd._engine_run_backward``.  Yields a
    one-element list holding the count.
    """
    import torch.autograd as autograd

    original, count = autograd._engine_run_backward, [0]

    def counted(*args, **kwargs):
        count[0] += 1
        return original(*args, **kwargs)

    autograd._engine_run_backward = counted
    try:
        yield count
    finally:
        autograd._engine_run_backward = original


def linear_calls(model, inputs, name="el modelo"):
    """Run ``model(inputs)`` and record the ``nn.Linear`` layers in the order forward uses them.

    Returns (output, layers): ``layers`` is a list of {"weight", "bias"}
    descriptions, one per call.  Architecture is judged by behaviour: the
    judge recomputes the output from these weights, whatever module types
    (``nn.Sequential``, ``F.relu``, a hand-written forward) hold them.  A
    model that is not an ``nn.Module``, or whose forward raises, is a
    ``StudentError`` naming ``name``.
    """
    if not isinstance(model, torch.nn.Module):
        raise StudentError(f"{name}: se esperaba un torch.nn.Module, se obtuvo {type(model).__name__}")
    calls = []
    hooks = [module.register_forward_hook(lambda module, args, output: calls.append(module))
             for module in model.modules() if isinstance(module, torch.nn.Linear)]
    try:
        output = call({"forward": model}, "forward", inputs)
    except StudentError as exc:
        raise StudentError(f"{name}: {exc}") from None
    finally:
        for hook in hooks:
            hook.remove()
    layers = [{"weight": describe(layer.weight), "bias": describe(layer.bias)} for layer in calls]
    return output, layers
