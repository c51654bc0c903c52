"""Shared judge helpers: validate a described value, compare it, say why not.

Every helper takes the description produced by ``wire.describe`` and either
returns a float64 array or raises ``CheckFailed`` with one Spanish sentence
naming the function, the property that was expected and what came back.  The
escalation is always exists → type → shape → dtype → finite → values.
"""
import numpy as np

# float32 results summed over at most a few hundred terms stay within 1e-4
# (mixed error) of a float64 reference; float64 ones within 1e-9.
TOLERANCE = {"float32": 1e-4, "float64": 1e-9}
# Characters of one check message, or of a student's exception quoted in one: a
# line the student reads at a glance, too short to carry a printed tensor.
MAX_MESSAGE = 300


class CheckFailed(Exception):
    """A check did not pass; ``str()`` is the Spanish message for the student.

    IPython shows ``_render_traceback_`` instead of a traceback, so neither the
    grader's source nor its reference values reach the notebook or feedback.
    """

    def _render_traceback_(self):
        return [f"\x1b[0;31m✗ {self}\x1b[0m"]


def fail(message):
    raise CheckFailed(message)


def kind_name(value):
    """How a described value is named in messages: type, shape and dtype."""
    if value.get("kind") in ("tensor", "ndarray", "numpy_scalar"):
        return f"{value['type']} de forma {tuple(value['shape'])} y dtype {value['dtype']}"
    if value.get("kind") in ("list", "tuple", "dict"):
        return f"{value['kind']} de longitud {value['length']}"
    return value.get("type", "?")


def expect_tensor(value, what, shape, dtype):
    """``value`` is a CPU torch.Tensor of ``shape`` and ``dtype`` with finite entries.

    Returns its entries as float64 (cast only after the dtype was checked).
    """
    return _expect_array_like(value, what, "tensor", shape, dtype)


def expect_array(value, what, shape, dtype="float64"):
    """``value`` is a numpy.ndarray of ``shape`` and ``dtype`` with finite entries; returns it as float64."""
    return _expect_array_like(value, what, "ndarray", shape, dtype)


ARRAY_KINDS = {"tensor": "un torch.Tensor", "ndarray": "un numpy.ndarray"}


def _expect_array_like(value, what, kind, shape, dtype):
    if value.get("kind") != kind:
        fail(f"{what}: se esperaba {ARRAY_KINDS[kind]}, se obtuvo {kind_name(value)}")
    if tuple(value["shape"]) != tuple(shape):
        fail(f"{what}: forma esperada {tuple(shape)}, obtenida {tuple(value['shape'])}")
    if value["dtype"] != dtype:
        fail(f"{what}: dtype esperado {dtype}, obtenido {value['dtype']}")
    if kind == "tensor" and value["device"] != "cpu":
        fail(f"{what}: debe estar en la CPU, está en {value['device']}")
    array = value["array"]
    if not np.isfinite(array).all():
        fail(f"{what}: contiene NaN o infinitos")
    return array.astype(np.float64)


def expect_no_graph(value, what):
    """A returned tensor carries no autograd graph."""
    if value["requires_grad"]:
        fail(f"{what}: no debe llevar grafo de autograd (requires_grad=True); usa .detach()")


def expect_intact(result, what):
    """The probe found every argument it passed still equal to its copy (``result["intact"]``)."""
    if not result["intact"]:
        fail(f"{what}: modificó sus argumentos de entrada; no debe cambiarlos")


def expect_sequence(value, what, length, kinds=("tuple", "list")):
    """A tuple (or list) of exactly ``length`` items; returns the items."""
    if value.get("kind") not in kinds:
        fail(f"{what}: se esperaba una tupla de {length} elementos, se obtuvo {kind_name(value)}")
    if value["length"] != length:
        fail(f"{what}: se esperaban {length} elementos, se obtuvieron {value['length']}")
    return value["items"]


def expect_floats(value, what, length):
    """A list of ``length`` finite Python floats; returns them as float64."""
    items = expect_sequence(value, what, length, kinds=("list",))
    for i, item in enumerate(items):
        if item.get("kind") != "float":
            fail(f"{what}[{i}]: se esperaba un float de Python (usa .item()), se obtuvo {kind_name(item)}")
    values = np.array([item["value"] for item in items], dtype=np.float64)
    if not np.isfinite(values).all():
        fail(f"{what}: contiene NaN o infinitos")
    return values


def expect_scalar(value, what):
    """A finite real number: a Python int or float or a NumPy integer or float scalar (not bool); returns it as float."""
    numeric = value.get("kind") in ("int", "float") or (
        value.get("kind") == "numpy_scalar" and np.dtype(value["dtype"]).kind in "iuf")
    if not numeric:
        hint = "; usa .item()" if value.get("kind") == "tensor" else ""
        fail(f"{what}: se esperaba un número real (int o float), se obtuvo {kind_name(value)}{hint}")
    number = float(value["value"] if "value" in value else value["array"])
    if not np.isfinite(number):
        fail(f"{what}: debe ser un número finito, se obtuvo {number}")
    return number


def expect_ints(value, what, length):
    """A list of ``length`` Python ints (not bool, float or NumPy integers); returns them."""
    items = expect_sequence(value, what, length, kinds=("list",))
    for i, item in enumerate(items):
        if item.get("kind") != "int":
            fail(f"{what}[{i}]: se esperaba un int de Python (usa int(...)), se obtuvo {kind_name(item)}")
    return [item["value"] for item in items]


def expect_binary(value, what, shape, dtype="float64"):
    """A numpy.ndarray of ``shape`` and ``dtype`` whose entries are all 0 or 1; returns it as float64."""
    array = expect_array(value, what, shape, dtype)
    wrong = np.argwhere((array != 0) & (array != 1))
    if len(wrong):
        position = tuple(int(i) for i in wrong[0])
        fail(f"{what}: solo puede contener 0 y 1; se obtuvo {array[position]:g} en la posición {position}")
    return array


def mixed_error(actual, expected):
    """max |a - e| / (1 + |e|): absolute for small values, relative for large."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.size == 0:
        return 0.0
    return float(np.max(np.abs(actual - expected) / (1.0 + np.abs(expected))))


def expect_close(actual, expected, what, tolerance):
    """``actual`` matches ``expected`` (same shape) within ``tolerance`` mixed error."""
    error = mixed_error(actual, expected)
    if not error <= tolerance:
        fail(f"{what}: error máximo {error:.1e} > tolerancia {tolerance:.0e}")


def numerical_gradient(f, x, h=1e-6):
    """Centered finite differences of the scalar ``f`` at the float64 array ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        up = f(x)
        x[index] = old - h
        down = f(x)
        x[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


def expect_shuffled_epochs(what, epochs, sizes, rows):
    """Mini-batch SGD's sampling: ``epochs`` lists, per epoch, the row indices of each mini-batch
    in order; each epoch must take consecutive batches of ``sizes`` rows that use every one of
    ``rows`` rows exactly once, in an order shuffled again every epoch."""
    orders = []
    for batches in epochs:
        if [len(batch) for batch in batches] != sizes:
            fail(f"{what}: minilotes consecutivos de batch_size filas; se esperaban tamaños {sizes}, "
                 f"hubo {[len(batch) for batch in batches]}")
        order = sum(batches, [])
        if sorted(order) != list(range(rows)):
            fail(f"{what}: en cada época cada fila debe usarse exactamente una vez")
        orders.append(order)
    if all(order == list(range(rows)) for order in orders) or all(order == orders[0] for order in orders):
        fail(f"{what}: las filas deben barajarse de nuevo en cada época")
