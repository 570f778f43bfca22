"""Local files give exactly Keras' arrays; vectorization, subsets and splits behave as documented."""

from unittest import mock

import numpy as np
import pytest

from nnlab import data
from nnlab.errors import ConfigError, DataError
from nnlab.specs import DatasetSpec, ValidationSpec


def keras_load(name: str, path, **kwargs):
    """Keras' own load_data, pointed at a local file instead of its download."""
    import keras  # here, not at the top: the fast tier never loads TensorFlow

    module = __import__(f"keras.src.datasets.{name}", fromlist=["get_file"])
    with mock.patch.object(module, "get_file", return_value=str(path)):
        return getattr(keras.datasets, name).load_data(**kwargs)


def assert_same_text_split(ours, theirs):
    seqs, labels = ours
    x, y = theirs
    assert seqs.to_lists() == [list(s) for s in x]
    np.testing.assert_array_equal(labels, y)


@pytest.mark.slow  # Keras' own loader: TensorFlow's import alone takes seconds
@pytest.mark.parametrize("num_words", [1000, 10000])
def test_reuters_matches_keras_on_the_bundled_sample(num_words):
    path = data.sample_dir() / "reuters.npz"
    s_train, y_train, s_test, y_test = data.load_reuters(path, num_words)
    (x_tr, k_tr), (x_te, k_te) = keras_load("reuters", path, num_words=num_words)
    assert_same_text_split((s_train, y_train), (x_tr, k_tr))
    assert_same_text_split((s_test, y_test), (x_te, k_te))


@pytest.mark.slow  # Keras' own loader
def test_imdb_matches_keras_on_the_bundled_sample():
    path = data.sample_dir() / "imdb.npz"
    s_train, y_train, s_test, y_test = data.load_imdb(path, 500)
    (x_tr, k_tr), (x_te, k_te) = keras_load("imdb", path, num_words=500)
    assert_same_text_split((s_train, y_train), (x_tr, k_tr))
    assert_same_text_split((s_test, y_test), (x_te, k_te))


@pytest.mark.slow  # reads a full dataset
@pytest.mark.parametrize("name", ["reuters", "imdb"])
def test_text_datasets_match_keras_on_the_real_files(real_data, name):
    loader = data.load_imdb if name == "imdb" else data.load_reuters
    s_train, y_train, s_test, y_test = loader(real_data / f"{name}.npz", 10000)
    (x_tr, k_tr), (x_te, k_te) = keras_load(name, real_data / f"{name}.npz", num_words=10000)
    assert_same_text_split((s_train, y_train), (x_tr, k_tr))
    assert_same_text_split((s_test, y_test), (x_te, k_te))


@pytest.mark.slow  # reads a full dataset
def test_reuters_real_file_has_the_books_split(real_data):
    s_train, y_train, s_test, _ = data.load_reuters(real_data / "reuters.npz", 10000)
    assert (len(s_train), len(s_test)) == (8982, 2246)
    assert y_train[0] == 3 and s_train.to_lists()[0][:10] == [1, 2, 2, 8, 43, 10, 447, 5, 25, 207]


@pytest.mark.slow  # reads a full dataset
def test_mnist_matches_keras_on_the_real_file(real_data):
    ours = data.load_mnist(real_data / "mnist.npz")
    (x_tr, y_tr), (x_te, y_te) = keras_load("mnist", real_data / "mnist.npz")
    for a, b in zip(ours, (x_tr, y_tr, x_te, y_te)):
        np.testing.assert_array_equal(a, b)


def test_multi_hot_marks_exactly_the_words_of_each_sequence():
    seqs = data.Sequences(np.array([1, 4, 4, 2, 0, 3], dtype=np.int32), np.array([3, 0, 3]))
    expected = np.array([[0, 1, 0, 0, 1], [0, 0, 0, 0, 0], [1, 0, 1, 1, 0]], dtype=np.float32)
    out = data.multi_hot(seqs, 5)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out.columns, [1, 4, 0, 2, 3])  # each row's distinct words, sorted
    np.testing.assert_array_equal(out.to_dense(), expected)


def test_multi_hot_rows_select_like_the_dense_matrix():
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 30, 50)
    dense_rows = data.multi_hot(data.Sequences(rng.integers(0, 100, lengths.sum()), lengths), 100)
    dense = dense_rows.to_dense()
    for rows in (slice(10, 20), slice(45, None), slice(0, 0), slice(None, None, 3), np.array([7, 3, 3, 49]),
                 rng.permutation(50)):
        np.testing.assert_array_equal(dense_rows[rows].to_dense(), dense[rows])


@pytest.mark.slow  # reads a full dataset
def test_compact_inputs_are_far_smaller_than_the_books_float64_matrix(real_data):
    dataset = data.load_dataset(DatasetSpec(name="imdb", num_words=10000), str(real_data))
    books_bytes = 25000 * 10000 * 8  # vectorize_sequences' np.zeros, float64
    assert dataset.x_train.nbytes < books_bytes / 100


def test_loaded_datasets_are_shared_between_calls():
    spec = DatasetSpec(name="reuters", num_words=2000, sample=True)
    dataset = data.load_dataset(spec)
    assert dataset.x_train.shape == (480, 2000)
    assert dataset.num_classes == 46 and len(dataset.y_test) == 120
    assert data.load_dataset(DatasetSpec(name="reuters", num_words=2000, sample=True)) is dataset


def test_mnist_is_flattened_and_scaled_to_unit_range():
    dataset = data.load_dataset(DatasetSpec(name="mnist", sample=True))
    assert dataset.x_train.shape == (600, 784) and dataset.x_train.values.dtype == np.uint8
    pixels = dataset.x_train.to_dense()
    assert pixels.dtype == np.float32 and pixels.min() == 0.0 and pixels.max() == 1.0


def test_a_subset_keeps_the_first_examples_of_train_and_test():
    full = data.load_dataset(DatasetSpec(name="imdb", num_words=1000, sample=True))
    small = data.load_dataset(DatasetSpec(name="imdb", num_words=1000, sample=True, subset=40))
    assert small.x_train.shape == (40, 1000) and len(small.y_test) == 40
    np.testing.assert_array_equal(small.x_train.to_dense(), full.x_train[:40].to_dense())
    np.testing.assert_array_equal(small.y_test, full.y_test[:40])
    assert small.full_train_size == 300


def test_first_split_holds_out_the_leading_examples_as_the_book_does():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    x_tr, y_tr, x_val, y_val = data.split_validation(x, y, ValidationSpec(size=3), 10)
    np.testing.assert_array_equal(y_val, [0, 1, 2])
    np.testing.assert_array_equal(y_tr, np.arange(3, 10))


def test_random_and_stratified_splits_are_seeded_and_disjoint():
    x, y = np.arange(200).reshape(100, 2), np.repeat([0, 1, 2, 3], 25)
    for split in ("random", "stratified"):
        spec = ValidationSpec(split=split, size=0.2, seed=5)
        _, y_tr, x_val, y_val = data.split_validation(x, y, spec, 100)
        again = data.split_validation(x, y, spec, 100)
        np.testing.assert_array_equal(x_val, again[2])
        assert len(y_val) == 20 and len(y_tr) == 80
        assert not set(x_val[:, 0]) & set(again[0][:, 0])
    np.testing.assert_array_equal(np.bincount(y_val), [5, 5, 5, 5])


def test_a_validation_count_shrinks_with_a_subset_and_cannot_swallow_the_training_set():
    assert data.validation_count(ValidationSpec(size=1000), 898, 8982) == 100
    with pytest.raises(ConfigError, match="leaves no training examples"):
        data.validation_count(ValidationSpec(size=500), 500, 500)


def test_labels_are_encoded_for_the_loss():
    y = np.array([0, 2, 1])
    assert data.encode_labels(y, 3, "categorical_crossentropy").tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert data.encode_labels(y, 3, "sparse_categorical_crossentropy").tolist() == [0, 2, 1]
    assert data.encode_labels(np.array([1, 0]), 2, "mse").dtype == np.float32


def test_a_missing_file_says_how_to_provide_it(tmp_path):
    with pytest.raises(DataError) as err:
        data.dataset_file("imdb", tmp_path)
    message = str(err.value)
    assert f"{tmp_path}/imdb.npz does not exist" in message
    assert "--data-dir" in message and "NNLAB_DATA_DIR" in message and "sample: true" in message


def test_the_environment_variable_names_the_data_folder(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    assert data.dataset_file("mnist") == tmp_path / "mnist.npz"


def test_a_corrupted_file_is_refused_clearly(tmp_path):
    (tmp_path / "reuters.npz").write_bytes(b"this is not a zip archive")
    with pytest.raises(DataError, match="not a readable Keras-format .npz"):
        data.load_reuters(tmp_path / "reuters.npz", 100)


def test_a_file_that_smuggles_code_in_a_pickle_is_refused(tmp_path):
    evil = np.array([print], dtype=object)  # pickled as a reference to builtins.print
    np.savez(tmp_path / "reuters.npz", x=evil, y=np.array([0]))
    with pytest.raises(DataError, match="refusing to load builtins.print"):
        data.read_npz(tmp_path / "reuters.npz")


def test_a_file_with_the_wrong_shapes_or_labels_is_refused(tmp_path):
    images = np.zeros((3, 28, 28), np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=np.array([0, 1]), x_test=images, y_test=np.zeros(3))
    with pytest.raises(DataError, match="3 examples but 2 labels"):
        data.load_mnist(tmp_path / "mnist.npz")
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((3, 32, 32)), y_train=np.zeros(3), x_test=images, y_test=np.zeros(3))
    with pytest.raises(DataError, match=r"x_train has shape \(3, 32, 32\)"):
        data.load_mnist(tmp_path / "mnist.npz")
    seqs = np.empty(2, dtype=object)
    seqs[:] = [[1, 2], [3]]
    np.savez(tmp_path / "reuters.npz", x=seqs, y=np.array([0, 99]))
    with pytest.raises(DataError, match="labels span 0..99; reuters has classes 0..45"):
        data.load_reuters(tmp_path / "reuters.npz", 100)


def test_vectorized_text_is_cached_by_the_files_hash_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_DIR_ENV, str(tmp_path))
    path = data.sample_dir() / "reuters.npz"
    digest = data.sha256(path)
    first = data._vectorized_text("reuters", path, digest, 1000)
    cached = list(tmp_path.glob("reuters-*.npz"))
    assert len(cached) == 1
    with mock.patch.object(data, "load_reuters", side_effect=AssertionError("read the cache instead")):
        again = data._vectorized_text("reuters", path, digest, 1000)
    cached[0].write_bytes(b"half a file")  # a damaged cache costs a rebuild, nothing else
    rebuilt = data._vectorized_text("reuters", path, digest, 1000)
    for result in (again, rebuilt):
        np.testing.assert_array_equal(result[0].to_dense(), first[0].to_dense())
        np.testing.assert_array_equal(result[3], first[3])
