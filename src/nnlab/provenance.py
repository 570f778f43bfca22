"""What made a run: code, versions, data and machine, recorded beside its numbers."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from pathlib import Path

from . import __version__

# Bump when a change to the code alters what a run computes for the same config and seed
# (training loop, data transform, selection rule, a schema default: tests/test_run_format.py notices
# those): finished runs then no longer count as done. A change that only one kind's runs feel bumps
# that kind's REVISION instead (kinds/xor.py), so no other kind's runs are redone.
RUN_FORMAT = 2  # 2: compiled epochs, multi-hot gather-and-sum, seeded per-epoch shuffles


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_state() -> dict:
    """Commit and dirtiness of the nnlab checkout, when nnlab runs from one (editable install)."""
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                                check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                                capture_output=True, text=True, check=True, timeout=10).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Versions and host; imported lazily because TensorFlow is slow to load."""
    import keras
    import numpy
    import tensorflow as tf

    return {
        "nnlab": __version__, "run_format": RUN_FORMAT, **git_state(),
        "python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
        "numpy": numpy.__version__, "platform": platform.platform(), "cpu": cpu_name(),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")], "argv": sys.argv,
    }
