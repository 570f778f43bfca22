"""Input matrices kept compact in memory and expanded only batch by batch, inside the training graph.

The book feeds its nets a float matrix: a 0/1 "multi-hot" row of 10,000 words per review or wire,
or 784 pixels scaled to [0, 1]. As float64 (the book's `np.zeros`) IMDB's training half alone is
2 GB; ~98% of a multi-hot row is zeros. Here a multi-hot matrix is the sorted column indices of its
ones (CSR without values: ~0.3 MB per 1,000 reviews) and an image matrix stays uint8. Both know how
to become the dense float32 matrix the book builds (`to_dense`), which the tests compare against.

No TensorFlow here: `nnlab validate` and the data checks stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIXEL_SCALE = 255.0  # MNIST pixels are 0..255; the book divides by 255 to get [0, 1]


@dataclass(frozen=True)
class MultiHot:
    """A 0/1 matrix of shape (rows, width) stored as each row's sorted, distinct column indices.

    Example: rows [[3, 1, 3], [0]] of width 5 -> columns [1, 3, 0], row_splits [0, 2, 3];
    `to_dense()` gives [[0, 1, 0, 1, 0], [1, 0, 0, 0, 0]].
    """

    columns: np.ndarray  # int32, the rows' column indices one after the other
    row_splits: np.ndarray  # int64, len rows + 1: row i is columns[row_splits[i]:row_splits[i + 1]]
    width: int

    @classmethod
    def from_sequences(cls, flat: np.ndarray, lengths: np.ndarray, width: int) -> MultiHot:
        """Distinct words of each sequence (a word twice in a review is still one 1.0, as in the book)."""
        rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        # Sort by row, then column, and drop repeats. Not np.unique: on numpy 2.4 it takes 6 s for
        # IMDB's 6M words where a stable (radix/merge) sort of the already row-ordered keys takes 0.15 s.
        keys = np.sort(rows * width + flat.astype(np.int64), kind="stable")
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        row_splits = np.searchsorted(keys // width, np.arange(len(lengths) + 1)).astype(np.int64)
        return cls((keys % width).astype(np.int32), row_splits, width)

    def __len__(self) -> int:
        return len(self.row_splits) - 1

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self), self.width)

    @property
    def nbytes(self) -> int:
        return self.columns.nbytes + self.row_splits.nbytes

    def __getitem__(self, rows) -> MultiHot:
        """Rows by slice or index array, as numpy would select them from the dense matrix."""
        if isinstance(rows, slice):
            start, stop, step = rows.indices(len(self))
            if step == 1:
                lo, hi = self.row_splits[start], self.row_splits[max(start, stop)]
                return MultiHot(self.columns[lo:hi], self.row_splits[start:max(start, stop) + 1] - lo, self.width)
            rows = np.arange(start, stop, step)
        rows = np.asarray(rows, dtype=np.int64)
        starts, lengths = self.row_splits[rows], np.diff(self.row_splits)[rows]
        splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        positions = np.repeat(starts - splits[:-1], lengths) + np.arange(splits[-1])
        return MultiHot(self.columns[positions], splits, self.width)

    def to_dense(self, dtype=np.float32) -> np.ndarray:
        out = np.zeros(self.shape, dtype=dtype)
        out[np.repeat(np.arange(len(self)), np.diff(self.row_splits)), self.columns] = 1
        return out


@dataclass(frozen=True)
class Pixels:
    """Images as uint8 rows of pixels; `to_dense()` is the book's `astype("float32") / 255`."""

    values: np.ndarray  # uint8, (rows, pixels)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def width(self) -> int:
        return self.values.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def nbytes(self) -> int:
        return self.values.nbytes

    def __getitem__(self, rows) -> Pixels:
        return Pixels(self.values[rows])

    def to_dense(self, dtype=np.float32) -> np.ndarray:
        return self.values.astype(dtype) / dtype(PIXEL_SCALE)


Features = MultiHot | Pixels
