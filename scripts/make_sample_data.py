"""Rebuild the small dataset samples bundled in src/nnlab/sample_data/ from the real Keras files.

    python scripts/make_sample_data.py ../shared/datasets

Each sample keeps Keras' file layout (so it goes through exactly the code path of the real file)
and holds a fixed, seeded choice of rows of the original arrays, before Keras' seed-113 shuffle.
"""

import sys
from pathlib import Path

import numpy as np

from nnlab.data import read_npz, sample_dir

SIZES = {"imdb": (300, 100), "reuters": 600, "mnist": (600, 200)}


def pick(n_total: int, n: int, rng: np.random.RandomState) -> np.ndarray:
    return np.sort(rng.choice(n_total, size=n, replace=False))


def main(source: Path) -> None:
    out = sample_dir()
    rng = np.random.RandomState(0)
    f = read_npz(source / "imdb.npz")
    tr, te = pick(len(f["x_train"]), SIZES["imdb"][0], rng), pick(len(f["x_test"]), SIZES["imdb"][1], rng)
    np.savez_compressed(out / "imdb.npz", x_train=f["x_train"][tr], y_train=f["y_train"][tr],
                        x_test=f["x_test"][te], y_test=f["y_test"][te])
    f = read_npz(source / "reuters.npz")
    rows = pick(len(f["x"]), SIZES["reuters"], rng)
    np.savez_compressed(out / "reuters.npz", x=f["x"][rows], y=f["y"][rows])
    f = read_npz(source / "mnist.npz")
    tr, te = pick(len(f["x_train"]), SIZES["mnist"][0], rng), pick(len(f["x_test"]), SIZES["mnist"][1], rng)
    np.savez_compressed(out / "mnist.npz", x_train=f["x_train"][tr], y_train=f["y_train"][tr],
                        x_test=f["x_test"][te], y_test=f["y_test"][te])
    for path in sorted(out.glob("*.npz")):
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets"))
