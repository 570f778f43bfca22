import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# Real Keras-format files beside the checkout on the project's machines; tests using them skip elsewhere.
SHARED_DATA = ROOT.parent / "shared" / "datasets"


@pytest.fixture
def real_data() -> Path:
    if not (SHARED_DATA / "reuters.npz").is_file():
        pytest.skip(f"real datasets not present at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def write_config(tmp_path):
    """Write a study YAML into a temp folder and return its path."""
    def write(text: str, name: str = "study.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


BASE = """\
name: tiny
dataset: {name: reuters, num_words: 1000, sample: true}
validation: {split: first, size: 50}
model: {hidden_layers: 1, units: 8}
loss: categorical_crossentropy
epochs: 2
batch_size: 64
"""


def record_metrics(run: Path, **changes) -> None:
    """Change a finished run's metrics.json as if the run had recorded those figures (its checksum
    too): for tests that need a run in some state. A plain hand edit is damage (tests/test_faults.py)."""
    import hashlib
    import json

    path = run / "metrics.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))
    sums = run / "checksums.sha256"
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  metrics.json" if line.endswith("  metrics.json") else line
             for line in sums.read_text().splitlines()]
    sums.write_text("\n".join(lines) + "\n")


def wait_for(path: Path, seconds: float = 120) -> None:
    """Until a file appears (a run's lock: it is training), for tests that interrupt a run."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.fixture(autouse=True)
def _private_dataset_cache(tmp_path_factory, monkeypatch):
    """Each test session vectorizes into its own cache, never the user's ~/.cache/nnlab."""
    monkeypatch.setenv("NNLAB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "nnlab-cache"))
