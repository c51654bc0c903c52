"""What crosses the process boundary is plain, validated data (docs/attacks.md C1–C9)."""
import json
import os

import numpy as np
import pytest
import torch

from autograder.checks import wire
from autograder.checks.judging import expect_tensor, CheckFailed


def roundtrip(value, tmp_path):
    return wire.roundtrip(wire.describe(value), tmp_path)


def test_tensor_oddities_become_plain_descriptions(tmp_path):
    """Do a graph-carrying, a non-contiguous and a sparse tensor all arrive as plain arrays?"""
    leaf = torch.ones(2, 3, requires_grad=True)
    graph = roundtrip(leaf * 2, tmp_path)
    assert graph["requires_grad"] and graph["dtype"] == "float32" and graph["shape"] == [2, 3]
    assert type(graph["array"]) is np.ndarray
    transposed = roundtrip(torch.arange(6.0).reshape(2, 3).T, tmp_path)
    assert transposed["array"].tolist() == [[0, 3], [1, 4], [2, 5]]
    sparse = roundtrip(torch.eye(2).to_sparse(), tmp_path)
    assert sparse["array"].tolist() == [[1, 0], [0, 1]]


def test_hostile_objects_are_described_by_type_only(tmp_path):
    """Is an object whose __eq__ is always True described only by its type (C1)?"""
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    described = roundtrip(AlwaysEqual(), tmp_path)
    assert described["kind"] == "object" and "AlwaysEqual" in described["type"]
    with pytest.raises(CheckFailed, match="se esperaba un torch.Tensor"):
        expect_tensor(described, "f", (2,), "float32")


@pytest.mark.parametrize("dtype", ["|O8", "O", "<U4", "V8", "[('a', 'O')]", 7, "f3"])
def test_object_and_other_non_numeric_arrays_are_refused(tmp_path, dtype):
    """Is an array declared with an object, text, void or made-up dtype refused before any byte is read as it
    (C9)? No format that can hold a pickle is read at all."""
    (tmp_path / "evil.bin").write_bytes(bytes(64))
    (tmp_path / "evil.json").write_text(json.dumps({"tree": {"__array__": 0}, "arrays": [[dtype, [1], 0]]}))
    with pytest.raises(wire.WireError, match="no numérico|mal formada"):
        wire.decode(tmp_path / "evil")


@pytest.mark.parametrize("entry", [["<f8", [10], 8], ["<f8", [-1], 0], ["<f8", [2], -8], ["<f8", "10", 0],
                                   ["<f8", [True], 0], ["<f8", [1] * 40, 0], ["<f8", [2**62, 2**62], 0]])
def test_arrays_outside_the_buffer_or_with_bad_shapes_are_refused(tmp_path, entry):
    """Is an array that reaches past the raw buffer, or has a negative, non-integer or absurd shape, refused?"""
    (tmp_path / "x.bin").write_bytes(bytes(80))
    (tmp_path / "x.json").write_text(json.dumps({"tree": [{"__array__": 0}], "arrays": [entry]}))
    with pytest.raises(wire.WireError, match="mal formada"):
        wire.decode(tmp_path / "x")


def test_truncated_and_oversized_files_are_refused(tmp_path):
    """Are a truncated buffer, a record without its layout, and a buffer over the size cap refused with a
    message (C8, C9)?"""
    wire.encode({"x": np.zeros(10)}, tmp_path / "ok")
    data = (tmp_path / "ok.bin").read_bytes()
    (tmp_path / "ok.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(wire.WireError, match="mal formada"):
        wire.decode(tmp_path / "ok")
    (tmp_path / "ok.json").write_text('{"ok": {"__array__": 0}}')  # what A7's forged encoder writes
    with pytest.raises(wire.WireError, match="mal formada"):
        wire.decode(tmp_path / "ok")
    (tmp_path / "big.json").write_text('{"tree": {}, "arrays": []}')
    with open(tmp_path / "big.bin", "wb") as handle:
        handle.truncate(wire.MAX_ARRAY_BYTES + 1)
    with pytest.raises(wire.WireError, match="demasiado grandes"):
        wire.decode(tmp_path / "big")


def test_many_small_arrays_and_every_numeric_dtype_survive_the_trip(tmp_path):
    """Do thousands of small arrays (a probe's per-epoch weights) and each numeric dtype come back equal?"""
    arrays = [np.arange(i % 5, dtype=np.float64) for i in range(5000)]
    kinds = [np.array([1, 2], dtype=d) for d in ("bool", "int8", "uint16", "int64", "float16", "float32", "complex128")]
    back = wire.roundtrip({"many": arrays, "kinds": kinds, "odd": np.arange(6.0)[::2], "zero_d": np.array(2.5)},
                          tmp_path)
    assert back["zero_d"].shape == () and float(back["zero_d"]) == 2.5
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(arrays + kinds, back["many"] + back["kinds"]))
    assert back["odd"].tolist() == [0.0, 2.0, 4.0] and back["many"][3].flags.writeable


@pytest.mark.parametrize("value, message", [
    (1.0, "se esperaba un torch.Tensor"),                           # C2: a scalar broadcasts
    (np.ones((2, 3)), "se esperaba un torch.Tensor"),
    (torch.ones(3, 1), r"forma esperada \(3,\), obtenida \(3, 1\)"),  # C2: (3, 1) vs (3,)
    (torch.ones(0), r"forma esperada \(3,\), obtenida \(0,\)"),       # C2: empty
    (torch.ones(3, dtype=torch.float16), "dtype esperado float32"),  # C4: precision laundering
    (torch.ones(3, dtype=torch.bool), "dtype esperado float32"),     # C5
    (torch.full((3,), float("nan")), "NaN o infinitos"),             # C3
])
def test_expect_tensor_escalates_type_shape_dtype_finite(tmp_path, value, message):
    """Does each malformed return fail at the right rung, with a message that says what came back?"""
    with pytest.raises(CheckFailed, match=message):
        expect_tensor(roundtrip(value, tmp_path), "f", (3,), "float32")


@pytest.mark.parametrize("plant", ["link", "fifo"])
def test_links_and_fifos_are_refused_without_following_or_blocking(tmp_path, plant):
    """Is a record replaced by a link to a host file refused without reading the target, and a FIFO
    refused without blocking the trusted side (what the sandbox writes is never followed)?"""
    secret = tmp_path / "secreto.json"
    secret.write_text('{"robado": 1}')
    wire.encode({"x": 1}, tmp_path / "step-0")
    (tmp_path / "step-0.json").unlink()
    if plant == "link":
        (tmp_path / "step-0.json").symlink_to(secret)
    else:
        os.mkfifo(tmp_path / "step-0.json")
    folder = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(wire.WireError, match="no es un archivo normal"):
            wire.decode("step-0", folder)
    finally:
        os.close(folder)
