"""Issue 24, part: nnlab installed like any Python CLI. The built wheel, installed into a fresh venv
with no clone of the repository in sight, holds the course's configs and suites: `nnlab init` copies
them into an empty folder and the quickstart study runs there on the bundled sample."""

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds a wheel and a venv, and trains

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_in_a_fresh_venv_inits_a_folder_and_runs_the_quickstart_study(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("nnlab-*.whl"))
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(fresh)], check=True, timeout=120)
    subprocess.run([fresh / "bin" / "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True, timeout=300)
    # The dependencies (TensorFlow and the rest) come from this venv's site-packages, not installed again;
    # nnlab itself is not there (this checkout's is an editable install, which a plain path does not load).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(site.getsitepackages()), "NNLAB_DATA_DIR": ""}
    empty = tmp_path / "course"
    empty.mkdir()
    where = subprocess.run([fresh / "bin" / "python", "-c", "import nnlab; print(nnlab.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(fresh)), where.stdout
    init = subprocess.run([fresh / "bin" / "nnlab", "init"], cwd=empty, env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert (empty / "configs" / "reuters_units.yaml").is_file() and (empty / "experiments" / "chapter3.yaml").is_file()
    assert (empty / "schema" / "study.schema.json").is_file()  # the configs' first lines name it, for an editor
    ran = subprocess.run([fresh / "bin" / "nnlab", "run", "configs/quickstart.yaml", "--quiet"], cwd=empty, env=env,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert len(list((empty / "results" / "quickstart").glob("*/seed-0/metrics.json"))) == 2
    by_name = subprocess.run([fresh / "bin" / "nnlab", "validate", "reuters_units"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert by_name.returncode == 0 and "ok (3 variants" in by_name.stdout
    again = subprocess.run([fresh / "bin" / "nnlab", "init"], cwd=empty, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "nothing was written" in again.stderr
