"""Plain data across the process boundary: describe, encode, decode.

The sandbox side turns whatever a student function returned into a
*description*: nested dicts and lists of JSON scalars and numeric NumPy
arrays, never a live object.  ``encode`` stores a description as JSON (the
tree, and each array's dtype, shape and offset) plus one ``.bin`` of the
arrays' raw bytes; ``decode`` reads them back as numeric arrays only (no
format that can hold a pickle is ever read) and refuses anything malformed or
over the size caps.  One raw buffer, not an archive of ``.npy`` files: a probe
that returns thousands of small arrays decodes in milliseconds.
"""
import json
import math
import os
import re
import stat
from pathlib import Path

import numpy as np

MAX_JSON_BYTES = 4 * 2**20
MAX_ARRAY_BYTES = 64 * 2**20
MAX_ITEMS = 10_000
NUMERIC_KINDS = "biufc"
DTYPE = re.compile(r"[<>|=]?[biufc][1-9][0-9]?")  # a numeric dtype's ``str``: "<f8", "|b1", "<c16"...
MAX_DIMS = 32


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
    """Write ``data`` (a description tree) to ``path``.json and ``path``.bin."""
    arrays, layout, offset = [], [], 0

    def strip(node):
        nonlocal offset
        if isinstance(node, np.ndarray):
            array = node if node.flags.c_contiguous else node.copy(order="C")  # ascontiguousarray makes 0-d 1-d
            arrays.append(array)
            layout.append([array.dtype.str, list(array.shape), offset])
            offset += array.nbytes
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
    with open(path.with_suffix(".bin"), "wb") as handle:
        for array in arrays:
            handle.write(array.data)
    path.with_suffix(".json").write_text(json.dumps({"tree": tree, "arrays": layout}))


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
        raw = _read(folder, f"{path.name}.bin", MAX_ARRAY_BYTES, "los arrays devueltos son demasiado grandes")
    finally:
        if owned:
            os.close(folder)
    try:
        record = json.loads(json_bytes)
        tree, layout = record["tree"], record["arrays"]
        arrays = [_array(raw, *entry) for entry in layout]
    except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
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


def _array(raw, dtype, shape, offset):
    """A copy of the array ``raw[offset:]`` holds, once its dtype is numeric and its extent inside ``raw``."""
    if not isinstance(dtype, str) or not DTYPE.fullmatch(dtype):
        raise WireError(f"array con dtype no numérico ({str(dtype)[:20]})")
    whole = [offset, *shape] if isinstance(shape, list) else None
    if whole is None or len(shape) > MAX_DIMS or not all(type(n) is int and n >= 0 for n in whole):
        raise WireError("salida mal formada (forma de array no válida)")
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    if offset + count * dtype.itemsize > len(raw):
        raise WireError("salida mal formada (array fuera del archivo)")
    return np.frombuffer(raw, dtype, count, offset).reshape(shape).copy()


def roundtrip(data, directory):
    """Encode then decode through ``directory``: the in-kernel path sees what the sandbox path sees."""
    path = Path(directory) / "roundtrip"
    encode(data, path)
    return decode(path)
