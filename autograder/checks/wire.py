"""Plain data across the process boundary: describe, encode, decode.

The sandbox side turns whatever a student function returned into a
*description*: nested dicts and lists of JSON scalars and numeric NumPy
arrays, never a live object.  ``encode`` stores a description as JSON plus one
``.npz`` of arrays; ``decode`` reads it back with ``allow_pickle=False`` and
refuses anything that is not a plain numeric array or exceeds the size caps.
"""
import io
import json
import math
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

MAX_JSON_BYTES = 4 * 2**20
MAX_ARRAY_BYTES = 64 * 2**20
MAX_ITEMS = 10_000
NUMERIC_KINDS = "biufc"


class WireError(Exception):
    """The data that came back is malformed, too large or not plain."""


def describe(value, depth=0):
    """A plain description of ``value``: kind, type, dtype, shape, contents."""
    import torch

    if depth > 8:
        return {"kind": "object", "type": "anidamiento demasiado profundo"}
    if isinstance(value, torch.Tensor):
        tensor = torch.Tensor.detach(value)
        if tensor.layout != torch.strided:
            tensor = tensor.to_dense()
        return {
            "kind": "tensor",
            "type": type(value).__name__,
            "dtype": str(tensor.dtype).removeprefix("torch."),
            "shape": list(tensor.shape),
            "device": str(tensor.device),
            "requires_grad": bool(value.requires_grad),
            "array": tensor.cpu().resolve_conj().resolve_neg().numpy().copy(),
        }
    if type(value) is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            return {"kind": "object", "type": f"numpy.ndarray de dtype {array.dtype}"}
        kind = "ndarray" if type(value) is np.ndarray else "numpy_scalar"
        return {"kind": kind, "type": type(value).__name__, "dtype": str(array.dtype),
                "shape": list(array.shape), "array": array.copy()}
    if type(value) in (bool, int, float, str) or value is None:
        if type(value) is int and not -2**63 <= value < 2**63:
            value = float(value)
        kind = {bool: "bool", int: "int", float: "float", str: "str"}.get(type(value), "none")
        return {"kind": kind, "type": type(value).__name__, "value": value}
    if type(value) in (list, tuple):
        items = [describe(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
        return {"kind": type(value).__name__, "type": type(value).__name__,
                "length": len(value), "items": items}
    if type(value) is dict:
        items = {str(k): describe(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
        return {"kind": "dict", "type": "dict", "length": len(value), "items": items}
    return {"kind": "object", "type": f"{type(value).__module__}.{type(value).__qualname__}"}


def encode(data, path):
    """Write ``data`` (a description tree) to ``path``.json and ``path``.npz."""
    arrays = []

    def strip(node):
        if isinstance(node, np.ndarray):
            arrays.append(node)
            return {"__array__": len(arrays) - 1}
        if isinstance(node, dict):
            return {str(k): strip(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [strip(v) for v in node]
        if isinstance(node, float) and not math.isfinite(node):
            return {"__float__": repr(node)}
        return node

    tree = strip(data)
    path = Path(path)
    np.savez(path.with_suffix(".npz"), *arrays, allow_pickle=False)
    path.with_suffix(".json").write_text(json.dumps(tree))


def decode(path, folder=None):
    """Read what ``encode`` wrote to ``path``, validating sizes and array dtypes.

    The files are opened without following a link, and only when regular (a FIFO planted there never
    blocks the reader); with ``folder``, a descriptor of the folder opened earlier, ``path`` is a name in
    it, so no later swap of a folder on the way redirects the read."""
    path = Path(path)
    owned = folder is None
    if owned:
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        json_bytes = _read(folder, f"{path.name}.json", MAX_JSON_BYTES, "la salida es demasiado grande")
        npz_bytes = _read(folder, f"{path.name}.npz", MAX_ARRAY_BYTES, "los arrays devueltos son demasiado grandes")
    finally:
        if owned:
            os.close(folder)
    try:
        tree = json.loads(json_bytes)
        with np.load(io.BytesIO(npz_bytes), allow_pickle=False) as npz:
            arrays = [_checked_array(npz, f"arr_{i}") for i in range(len(npz.files))]
    except (ValueError, OSError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise WireError(f"salida mal formada ({type(exc).__name__})") from None

    def restore(node):
        if isinstance(node, dict):
            if set(node) == {"__array__"}:
                return arrays[node["__array__"]]
            if set(node) == {"__float__"}:
                return float(node["__float__"])
            return {k: restore(v) for k, v in node.items()}
        if isinstance(node, list):
            return [restore(v) for v in node]
        return node

    try:
        return restore(tree)
    except (IndexError, TypeError, ValueError):
        raise WireError("salida mal formada (referencia a un array inexistente)") from None


def _read(folder, name, limit, too_big):
    """The bytes of the regular file ``name`` in the open ``folder``, at most ``limit`` of them."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        raise WireError("no se encontró la salida de la prueba, o no es un archivo normal") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise WireError("la salida de la prueba no es un archivo normal")
        if info.st_size > limit:
            raise WireError(too_big)
        return handle.read(limit + 1)


def _checked_array(npz, name):
    """One array of the archive, after its header says it is small and numeric."""
    with npz.zip.open(name + ".npy") as handle:
        version = np.lib.format.read_magic(handle)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
            version, np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(handle)
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject:
        raise WireError(f"array con dtype no numérico ({dtype})")
    if math.prod(shape) * dtype.itemsize > MAX_ARRAY_BYTES:
        raise WireError("array demasiado grande")
    return npz[name]


def roundtrip(data, directory):
    """Encode then decode through ``directory``: the in-kernel path sees what the sandbox path sees."""
    path = Path(directory) / "roundtrip"
    encode(data, path)
    return decode(path)
