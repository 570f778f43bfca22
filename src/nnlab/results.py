"""The results folder: where each run's files live, written atomically so a crash leaves no half file.

    results/<study>/<variant>/seed-<n>/   config.yaml, search_history.json, retrain_history.json,
                                          metrics.json (written last: a run is complete when it exists),
                                          curves.png
    results/<study>/                      summary.csv, summary.json, val_curves.png
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .errors import NnlabError

METRICS = "metrics.json"
SUMMARY_FIELDS = ("variant", "seed", "status", "best_epoch", "best_val_loss", "best_val_accuracy",
                  "test_loss", "test_accuracy", "epochs_run", "train_examples", "validation_examples",
                  "test_examples", "wall_time_s")


def run_dir(root: Path, study: str, variant: str, seed: int) -> Path:
    return Path(root) / study / variant / f"seed-{seed}"


def write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def write_yaml(path: Path, obj: Any) -> None:
    write_bytes(path, yaml.safe_dump(obj, sort_keys=False).encode())


def save_figure(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    write_bytes(path, buffer.getvalue())


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def completed_metrics(folder: Path, fingerprint: str) -> dict | None:
    """The metrics of a finished run with this config, None if unfinished; refuse a different config."""
    path = folder / METRICS
    if not path.is_file():
        return None
    metrics = read_json(path)
    if metrics.get("config_fingerprint") != fingerprint:
        raise NnlabError(
            f"{folder} holds a finished run of a different config (fingerprint "
            f"{metrics.get('config_fingerprint')}, now {fingerprint}); it is kept as it is. "
            "Use --force to replace it, or --results to write elsewhere.")
    return metrics


def check_writable(root: Path) -> None:
    root = Path(root)
    probe = root if root.exists() else next((p for p in root.parents if p.exists()), Path("."))
    if not os.access(probe, os.W_OK):
        raise NnlabError(f"results folder {root} is not writable")


def summary_rows(metrics_by_run: list[dict]) -> list[dict]:
    return [{k: m.get(k) for k in SUMMARY_FIELDS} for m in metrics_by_run]


def write_summary(study_dir: Path, rows: list[dict]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_bytes(study_dir / "summary.csv", text.getvalue().encode())
    write_json(study_dir / "summary.json", rows)
