"""What made a run: its key (config, seed, data, run format), the code and the machine, recorded
beside its numbers. The versions of TensorFlow and Keras are read where a run is written (runner)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from pathlib import Path

# Bump when a change to the code alters what a run computes for the same config and seed
# (training loop, data transform, selection rule, a schema default: tests/test_run_format.py notices
# those): finished runs then no longer count as done. A change that only one kind's runs feel bumps
# that kind's REVISION instead (kinds/xor/schema.py), so no other kind's runs are redone.
RUN_FORMAT = 2  # 2: compiled epochs, multi-hot gather-and-sum, seeded per-epoch shuffles


def run_key(config, seed: int, dataset_sha256: str, trial: bool = False, run_format: int = RUN_FORMAT,
            kind_revision: int | None = None) -> str:
    """What decides a run's numbers: the config (its fingerprint), the seed, the data and the run format
    of the code (and whether it is a search's trial: the search phase alone), and the kind's own
    revision where a kind changed what it computes (its Config.REVISION; the first revision adds
    nothing, so the keys of every other kind stay as they were). `nnlab verify` passes the formats a
    run was made with. Computed once per run, in runner.RunContext, and again only by verify."""
    revision = config.REVISION if kind_revision is None else kind_revision
    parts = ([config.fingerprint(), seed, dataset_sha256, run_format] + (["trial"] if trial else [])
             + ([f"{config.kind}-revision-{revision}"] if revision > 1 else []))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


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

