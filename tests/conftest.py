import re
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
# Real Keras-format files beside the checkout on the project's machines; tests using them skip elsewhere.
SHARED_DATA = ROOT.parent / "shared" / "datasets"


# --- the fast tier: `pytest -m "not slow"` answers in seconds -------------------------------------
# A test that trains, starts a process, reads a full dataset or needs TensorFlow (its import alone
# takes ~4 s) is marked slow. A module whose every test is slow says so at the top
# (`pytestmark = pytest.mark.slow`) and the fast tier does not even import it; and a fast tier that
# loads TensorFlow after all fails, naming the test that loaded it.
WHOLLY_SLOW = re.compile(r"^pytestmark = \[?pytest\.mark\.slow\b", re.MULTILINE)


def _fast_tier(config) -> bool:
    return (config.getoption("markexpr") or "").replace(" ", "") == "notslow"


def pytest_ignore_collect(collection_path, config):
    if _fast_tier(config) and collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        return bool(WHOLLY_SLOW.search(collection_path.read_text())) or None
    return None


def pytest_configure(config):
    """Each test process computes with one TensorFlow thread, as nnlab's runs do, whichever test
    starts TensorFlow first: a test that builds a model itself may come before any run when the tests
    are spread over workers (make test: pytest-xdist), and TensorFlow reads its thread count once, at
    its start (nnlab.process.use_threads). Runs that ask for other counts do so in worker processes."""
    from nnlab import process

    process.use_threads(1)


_LOADED_TENSORFLOW: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = "tensorflow" in sys.modules
    yield
    if not before and "tensorflow" in sys.modules:
        _LOADED_TENSORFLOW.append(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _fast_tier(session.config) and _LOADED_TENSORFLOW and exitstatus == 0:
        session.exitstatus = 1
        print(f"\nthe fast tier loaded TensorFlow in {_LOADED_TENSORFLOW[0]}: mark that test slow (tests/conftest.py)")


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


SHIPPED_CONFIGS = 36  # configs/*.yaml as shipped: a test over them checks at least these


def shipped_configs() -> list[Path]:
    """configs/*.yaml, sorted, for tests that check every shipped config: never an empty list (a wrong
    folder would make such a loop pass having checked nothing)."""
    paths = sorted(CONFIGS.glob("*.yaml"))
    assert len(paths) >= SHIPPED_CONFIGS and CONFIGS / "reuters_units.yaml" in paths, f"{CONFIGS}: {len(paths)} configs"
    return paths


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


def train_metrics(**figures) -> dict:
    """A tested train run's metrics.json as the kind records it (kinds/train/record.py: FIELDS), with
    the given figures and placeholders for the rest: for tests that write runs by hand."""
    from nnlab.kinds.train.record import FIELDS

    return {**dict.fromkeys(FIELDS), "kind": "train", "trial": False, **figures}


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
    # The command line trains on every core by default (worker processes); tests patch this process
    # and expect its runs here, so they ask for workers where they test them (--jobs 2).
    monkeypatch.setenv("NNLAB_JOBS", "1")
