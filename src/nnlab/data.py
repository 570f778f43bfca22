"""Datasets: find the Keras-format file, apply Keras' own `load_data` transform, vectorize once.

Source order: the bundled sample (`dataset.sample: true`), else `--data-dir` / $NNLAB_DATA_DIR,
else Keras' cache in ~/.keras/datasets (downloaded there by Keras on a machine with internet).
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import os
import pickle
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ConfigError, DataError, StorageError
from .features import Features, MultiHot, Pixels
from .results import write_bytes
from .spec_tables import NUM_CLASSES
from .specs import DatasetSpec, ValidationSpec, is_binary

DATA_DIR_ENV = "NNLAB_DATA_DIR"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# Keras' own published hashes: a download into the Keras cache is checked against them.
KERAS_HASHES = {
    "imdb": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "reuters": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    "mnist": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}
# Keras' load_data conventions for the text datasets.
SHUFFLE_SEED, START_CHAR, OOV_CHAR, INDEX_FROM, REUTERS_TEST_SPLIT = 113, 1, 2, 3, 0.2


@dataclass(frozen=True)
class Sequences:
    """Ragged integer sequences stored flat, so transforms are numpy operations, not loops."""

    flat: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)

    def to_lists(self) -> list[list[int]]:
        return [s.tolist() for s in np.split(self.flat, np.cumsum(self.lengths)[:-1])]


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: Features
    y_train: np.ndarray
    x_test: Features
    y_test: np.ndarray
    num_classes: int
    full_train_size: int
    source: dict = field(default_factory=dict)


# --- finding the file --------------------------------------------------------------------------

def sample_dir() -> Path:
    return Path(str(resources.files("nnlab") / "sample_data"))


def dataset_file(name: str, data_dir: str | Path | None = None, sample: bool = False) -> Path:
    filename = f"{name}.npz"
    if sample:
        return sample_dir() / filename
    folder = data_dir or os.environ.get(DATA_DIR_ENV)
    if folder:
        path = Path(folder).expanduser() / filename
        if not path.is_file():
            origin = "--data-dir" if data_dir else f"${DATA_DIR_ENV}"
            raise DataError(f"dataset '{name}': {path} does not exist ({origin} points at {folder}).\n" + _how_to_provide(name))
        return path
    return _keras_cache_file(name)


def _keras_cache_file(name: str) -> Path:
    from keras.utils import get_file  # imported late: TensorFlow is slow to import

    try:
        return Path(get_file(f"{name}.npz", origin=KERAS_ORIGIN + f"{name}.npz", file_hash=KERAS_HASHES[name]))
    except Exception as exc:  # any download failure gets the same advice
        raise DataError(f"dataset '{name}': not in Keras' cache and the download failed ({exc}).\n" + _how_to_provide(name)) from None


def _how_to_provide(name: str) -> str:
    return (
        f"Provide it in one of these ways:\n"
        f"  - put Keras' {name}.npz in a folder and pass --data-dir FOLDER or set {DATA_DIR_ENV}=FOLDER;\n"
        f"  - on a machine with internet, pass no data dir: Keras downloads {name}.npz to ~/.keras/datasets;\n"
        f"  - or set `dataset.sample: true` in the config to use the small sample bundled with nnlab."
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reading the file --------------------------------------------------------------------------

class _ArrayOnlyUnpickler(pickle.Unpickler):
    """The text datasets store ragged object arrays as pickles; allow numpy arrays and nothing else,
    so a tampered .npz cannot run code (the same guard Keras' own loader uses)."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def read_npz(path: Path) -> dict[str, np.ndarray]:
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                buffer = io.BytesIO(archive.read(member))
                try:
                    arrays[member.removesuffix(".npy")] = np.lib.format.read_array(buffer, allow_pickle=False)
                except ValueError:
                    buffer.seek(0)
                    major, _ = np.lib.format.read_magic(buffer)
                    (np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0)(buffer)
                    arrays[member.removesuffix(".npy")] = _ArrayOnlyUnpickler(buffer).load()
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError, OSError) as exc:
        raise DataError(f"{path}: not a readable Keras-format .npz file ({exc})") from None
    return arrays


def _require(arrays: dict, keys: tuple[str, ...], path: Path) -> None:
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise DataError(f"{path}: missing arrays {missing}; a Keras-format file holds {list(keys)}")


def _check_labels(path: Path, name: str, x: np.ndarray, y: np.ndarray) -> None:
    """Shape and label checks: a truncated or foreign file fails here, not deep inside training."""
    if len(x) != len(y):
        raise DataError(f"{path}: {len(x)} examples but {len(y)} labels; the file is corrupted")
    if y.size and (y.min() < 0 or y.max() >= NUM_CLASSES[name]):
        raise DataError(f"{path}: labels span {y.min()}..{y.max()}; {name} has classes 0..{NUM_CLASSES[name] - 1}")


def _flatten(seqs: np.ndarray) -> Sequences:
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    flat = np.fromiter(itertools.chain.from_iterable(seqs), dtype=np.int64, count=int(lengths.sum()))
    return Sequences(flat, lengths)


def _keras_text_transform(seqs: Sequences, num_words: int) -> Sequences:
    """Keras' load_data: shift word ranks by index_from, prepend start_char, map rare words to oov."""
    starts = np.cumsum(lengths := seqs.lengths) - lengths
    flat = np.insert(seqs.flat + INDEX_FROM, starts, START_CHAR)
    flat[flat >= num_words] = OOV_CHAR
    return Sequences(flat.astype(np.int32), lengths + 1)


def _shuffled(rng: np.random.RandomState, *arrays: np.ndarray) -> list[np.ndarray]:
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [a[indices] for a in arrays]


def load_imdb(path: Path, num_words: int) -> tuple[Sequences, np.ndarray, Sequences, np.ndarray]:
    f = read_npz(path)
    _require(f, ("x_train", "y_train", "x_test", "y_test"), path)
    _check_labels(path, "imdb", f["x_train"], f["y_train"])
    _check_labels(path, "imdb", f["x_test"], f["y_test"])
    rng = np.random.RandomState(SHUFFLE_SEED)  # one generator for both splits, as Keras does
    x_train, y_train = _shuffled(rng, f["x_train"], f["y_train"])
    x_test, y_test = _shuffled(rng, f["x_test"], f["y_test"])
    return (_keras_text_transform(_flatten(x_train), num_words), y_train.astype(np.int64),
            _keras_text_transform(_flatten(x_test), num_words), y_test.astype(np.int64))


def load_reuters(path: Path, num_words: int) -> tuple[Sequences, np.ndarray, Sequences, np.ndarray]:
    f = read_npz(path)
    _require(f, ("x", "y"), path)
    _check_labels(path, "reuters", f["x"], f["y"])
    xs, labels = _shuffled(np.random.RandomState(SHUFFLE_SEED), f["x"], f["y"])
    seqs = _keras_text_transform(_flatten(xs), num_words)
    idx = int(len(xs) * (1 - REUTERS_TEST_SPLIT))
    cut = int(seqs.lengths[:idx].sum())
    return (Sequences(seqs.flat[:cut], seqs.lengths[:idx]), labels[:idx].astype(np.int64),
            Sequences(seqs.flat[cut:], seqs.lengths[idx:]), labels[idx:].astype(np.int64))


def load_mnist(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    f = read_npz(path)
    _require(f, ("x_train", "y_train", "x_test", "y_test"), path)
    for key in ("x_train", "x_test"):
        if f[key].ndim != 3 or f[key].shape[1:] != (28, 28):
            raise DataError(f"{path}: {key} has shape {f[key].shape}; MNIST images are (n, 28, 28)")
        if f[key].dtype != np.uint8:
            raise DataError(f"{path}: {key} holds {f[key].dtype}; MNIST pixels are uint8 (0..255), as in Keras' file")
    _check_labels(path, "mnist", f["x_train"], f["y_train"])
    _check_labels(path, "mnist", f["x_test"], f["y_test"])
    return f["x_train"], f["y_train"].astype(np.int64), f["x_test"], f["y_test"].astype(np.int64)


# --- vectorizing -------------------------------------------------------------------------------

def multi_hot(seqs: Sequences, num_words: int) -> MultiHot:
    """One row per sequence, a 1 where a word index occurs (the book's vectorize_sequences), kept compact."""
    return MultiHot.from_sequences(seqs.flat, seqs.lengths, num_words)


def flatten_images(images: np.ndarray) -> Pixels:
    """28 x 28 images as rows of 784 uint8 pixels; scaled to [0, 1] batch by batch when training."""
    return Pixels(np.ascontiguousarray(images.reshape(len(images), -1), dtype=np.uint8))


# Room for every dataset a suite names (and a subset of each): compact, they are ~100 MB together, and
# pre-flight loads them all before the first run, which must not evict them and load them again.
@functools.lru_cache(maxsize=8)
def load_dataset(spec: DatasetSpec, data_dir: str | None = None) -> Dataset:
    """Load and vectorize once per process; every variant of every study shares the result."""
    path = dataset_file(spec.name, data_dir, spec.sample)
    digest = sha256(path)
    n = spec.subset
    if spec.name == "mnist":
        x_train, y_train, x_test, y_test = load_mnist(path)
        full = len(x_train)
        x_train, x_test = flatten_images(x_train[:n]), flatten_images(x_test[:n])
    else:
        x_train, y_train, x_test, y_test = _vectorized_text(spec.name, path, digest, spec.num_words)
        full = len(x_train)
        x_train, x_test = x_train[:n], x_test[:n]
    source = {"file": str(path.resolve()), "sha256": digest, "sample": spec.sample}
    return Dataset(spec.name, x_train, y_train[:n], x_test, y_test[:n], NUM_CLASSES[spec.name], full, source)


# --- the vectorized text datasets, cached ------------------------------------------------------

CACHE_DIR_ENV = "NNLAB_CACHE_DIR"
VECTORIZED_FORMAT = 1  # bump when Keras' transform as written here or the multi-hot layout changes


def cache_dir() -> Path:
    """$NNLAB_CACHE_DIR, else $XDG_CACHE_HOME/nnlab, else ~/.cache/nnlab."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnlab"


def _vectorized_text(name: str, path: Path, digest: str, num_words: int):
    """Keras' load_data transform and the multi-hot rows of imdb or reuters, cached on disk under the
    file's sha256: unpickling 50,000 lists of words costs IMDB 1.5 s in every process, the cache 0.05 s.
    A missing, stale or damaged cache file is rebuilt; one that cannot be written only costs time."""
    cached = cache_dir() / f"{name}-{digest[:20]}-words{num_words}-v{VECTORIZED_FORMAT}.npz"
    try:
        with np.load(cached, allow_pickle=False) as f:
            return (MultiHot(f["train_columns"], f["train_row_splits"], num_words), f["y_train"],
                    MultiHot(f["test_columns"], f["test_row_splits"], num_words), f["y_test"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass
    loader = load_imdb if name == "imdb" else load_reuters
    s_train, y_train, s_test, y_test = loader(path, num_words)
    x_train, x_test = multi_hot(s_train, num_words), multi_hot(s_test, num_words)
    buffer = io.BytesIO()
    np.savez(buffer, train_columns=x_train.columns, train_row_splits=x_train.row_splits, y_train=y_train,
             test_columns=x_test.columns, test_row_splits=x_test.row_splits, y_test=y_test)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(cached, buffer.getvalue())  # whole or absent: a reader never sees half a file
    except (OSError, StorageError):
        pass
    return x_train, y_train, x_test, y_test


# --- splitting and labels ----------------------------------------------------------------------

# A validation set that a subset shrank below this chooses its best epoch by the luck of a few examples
# (each one is 10 points of accuracy or more): refused rather than reported.
MIN_SHRUNK_VALIDATION = 10


def validation_count(spec: ValidationSpec, n_train: int, full_train_size: int) -> int:
    """How many examples to hold out. With a subset, an absolute count shrinks by the same ratio,
    so a real config's smoke run keeps its shape."""
    if isinstance(spec.size, float):
        count = round(spec.size * n_train)
    elif n_train < full_train_size:
        count = max(1, round(spec.size * n_train / full_train_size))
        if count < MIN_SHRUNK_VALIDATION <= spec.size:
            raise ConfigError(f"validation.size: {spec.size:,} of {full_train_size:,} examples shrinks with the subset "
                              f"(--subset or dataset.subset: {n_train:,} training examples) to {count} validation "
                              f"example{'s' * (count != 1)}, too few to choose a best epoch on (at least "
                              f"{MIN_SHRUNK_VALIDATION}); use a larger subset, or a fraction as validation.size")
    else:
        count = spec.size
    if not 0 < count < n_train:
        raise ConfigError(f"validation.size: {spec.size} leaves no training examples out of {n_train}; use a smaller count or a fraction")
    return count


def split_validation(x: Features, y: np.ndarray, spec: ValidationSpec, full_train_size: int):
    """(x_train, y_train, x_val, y_val). 'first' holds out the first examples, as the book does."""
    count = validation_count(spec, len(x), full_train_size)
    if spec.split == "first":
        return x[count:], y[count:], x[:count], y[:count]
    rng = np.random.RandomState(spec.seed)
    if spec.split == "random":
        order = rng.permutation(len(x))
        val, train = order[:count], order[count:]
    else:
        val = _stratified_indices(y, count, rng)
        train = np.setdiff1d(np.arange(len(x)), val)
    return x[train], y[train], x[np.sort(val)], y[np.sort(val)]


def _stratified_indices(y: np.ndarray, count: int, rng: np.random.RandomState) -> np.ndarray:
    classes, sizes = np.unique(y, return_counts=True)
    share = sizes * count / len(y)
    take = np.floor(share).astype(int)
    take[np.argsort(share - take)[::-1][: count - take.sum()]] += 1  # largest remainders
    return np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, take)])


def encode_labels(y: np.ndarray, num_classes: int, loss: str) -> np.ndarray:
    """Integer labels for sparse losses and binary outputs; one-hot for the rest."""
    if is_binary(num_classes) or loss == "sparse_categorical_crossentropy":
        return y.astype(np.float32 if is_binary(num_classes) else np.int64)
    return np.eye(num_classes, dtype=np.float32)[y]
