"""The shared check helpers: judges accept the right value and name, in Spanish, what is wrong with a wrong one;
probes copy and compare arrays and tensors alike."""
import numpy as np
import pytest
import torch

from autograder.checks import wire
from autograder.checks.judging import CheckFailed, expect_binary, expect_ints, expect_scalar
from autograder.checks.probing import clone, intact


def described(value, tmp_path):
    """``value`` as a judge receives it: described in the sandbox, sent across the wire."""
    return wire.roundtrip(wire.describe(value), tmp_path)


@pytest.mark.parametrize("value", [3, 2.5, np.float32(2.5), np.int64(3), np.uint8(3)])
def test_expect_scalar_accepts_real_numbers(value, tmp_path):
    """Is every Python or NumPy int or float returned as that number, as a Python float?"""
    number = expect_scalar(described(value, tmp_path), "f")
    assert type(number) is float and number == float(value)


@pytest.mark.parametrize("value, message", [
    (True, "se esperaba un número real \\(int o float\\), se obtuvo bool"),
    (np.bool_(True), "se esperaba un número real .*dtype bool"),
    (1 + 2j, "se esperaba un número real .*se obtuvo builtins.complex"),
    (np.complex128(1), "se esperaba un número real .*dtype complex128"),
    ("3", "se esperaba un número real .*se obtuvo str"),
    (None, "se esperaba un número real .*se obtuvo NoneType"),
    ([3.0], "se esperaba un número real .*se obtuvo list de longitud 1"),
    (np.array(3.0), "se esperaba un número real .*ndarray de forma \\(\\)"),
    (torch.tensor(3.0), "se esperaba un número real .*Tensor de forma \\(\\).*; usa .item\\(\\)"),
    (float("nan"), "debe ser un número finito, se obtuvo nan"),
    (np.float64("-inf"), "debe ser un número finito, se obtuvo -inf"),
])
def test_expect_scalar_refuses(value, message, tmp_path):
    """Is each non-number, bool, complex, container, tensor and non-finite value refused, saying which?"""
    with pytest.raises(CheckFailed, match="^f: " + message):
        expect_scalar(described(value, tmp_path), "f")


def test_expect_ints_accepts_a_list_of_python_ints(tmp_path):
    """Is a list of Python ints of the right length returned as those ints?"""
    ints = expect_ints(described([0, 2, -1], tmp_path), "f", 3)
    assert ints == [0, 2, -1] and all(type(i) is int for i in ints)


@pytest.mark.parametrize("value, message", [
    ((0, 2, 1), "^f: se esperaba .*se obtuvo tuple de longitud 3"),
    (np.array([0, 2, 1]), "^f: se esperaba .*se obtuvo ndarray"),
    ([0, 2], "^f: se esperaban 3 elementos, se obtuvieron 2"),
    ([0, True, 1], "^f\\[1\\]: se esperaba un int de Python \\(usa int\\(...\\)\\), se obtuvo bool"),
    ([0, 2.0, 1], "^f\\[1\\]: se esperaba un int de Python .*se obtuvo float"),
    ([0, 2, np.int64(1)], "^f\\[2\\]: se esperaba un int de Python \\(usa int\\(...\\)\\), se obtuvo int64"),
])
def test_expect_ints_refuses(value, message, tmp_path):
    """Is a tuple, an array, a short list, or a bool, float or NumPy int entry refused, naming it?"""
    with pytest.raises(CheckFailed, match=message):
        expect_ints(described(value, tmp_path), "f", 3)


def test_expect_binary_accepts_zeros_and_ones(tmp_path):
    """Is an array of 0s and 1s of the right shape and dtype returned as float64?"""
    array = expect_binary(described(np.array([[0, 1], [1, 0]], dtype=np.int64), tmp_path), "f", (2, 2), "int64")
    assert array.dtype == np.float64 and array.tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize("value, message", [
    ([0.0, 1.0, 0.5], "se esperaba un numpy.ndarray, se obtuvo list"),
    (torch.tensor([0.0, 1.0, 0.5]), "se esperaba un numpy.ndarray, se obtuvo Tensor"),
    (np.array([0.0, 1.0]), "forma esperada \\(3,\\), obtenida \\(2,\\)"),
    (np.array([0, 1, 1]), "dtype esperado float64, obtenido int64"),
    (np.array([0.0, 1.0, np.nan]), "contiene NaN o infinitos"),
    (np.array([0.0, 1.0, 0.5]), "solo puede contener 0 y 1; se obtuvo 0.5 en la posición \\(2,\\)"),
    (np.array([-1.0, 1.0, 0.0]), "solo puede contener 0 y 1; se obtuvo -1 en la posición \\(0,\\)"),
])
def test_expect_binary_refuses(value, message, tmp_path):
    """Is each wrong type, shape, dtype, non-finite or non-binary entry refused in that order?"""
    with pytest.raises(CheckFailed, match="^f: " + message):
        expect_binary(described(value, tmp_path), "f", (3,))


def test_expect_binary_names_a_matrix_position(tmp_path):
    """Is the first non-binary entry of a matrix named by its row and column?"""
    with pytest.raises(CheckFailed, match="se obtuvo 2 en la posición \\(1, 0\\)$"):
        expect_binary(described(np.array([[0.0, 1.0], [2.0, 1.0]]), tmp_path), "f", (2, 2))


@pytest.mark.parametrize("original", [np.arange(3.0), torch.arange(3.0)])
def test_clone_and_intact_handle_arrays_and_tensors(original):
    """Is a copy independent of its original, and an in-place change of it seen by intact?"""
    originals = {"x": original}
    passed = clone(originals)
    assert type(passed["x"]) is type(original) and intact(originals, passed)
    passed["x"][1] = 7
    assert original[1] == 1 and not intact(originals, passed)
