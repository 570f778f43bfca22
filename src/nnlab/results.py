"""The results folder: where each run's files live, written atomically so a crash leaves no half file.

    results/<study>/<variant>/seed-<n>/   config.yaml, provenance.json, search_history.json,
                                          retrain_history.json, curves.png,
                                          checksums.sha256 (every file's sha256, `sha256sum -c` reads it),
                                          metrics.json (written last: a run is complete when it exists)
    results/<study>/                      summary.csv, summary.json, val_curves.png, references.json
                                          (the config's reference figures, where it has any),
                                          source.json (the config file that made it, relative to results/)

Every write goes to a temporary file that is fsynced and renamed over the target, and the folder is
fsynced after the rename, so after a crash or a power cut a file is whole or absent. A write the
storage refuses (disk full, permission lost, folder gone) raises StorageError, which stops the command.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import functools
import hashlib
import io
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Fatal, NnlabError, StorageError, storage_error
from .stats import mean_sd

METRICS = "metrics.json"
FAILURE = "failure.json"
CHECKSUMS = "checksums.sha256"
TEMPORARY = ".*.tmp"  # what write_bytes writes before its rename (a kill can leave one behind)
TRIALS = "trials"
REFERENCES = "references.json"
SUMMARY_FIELDS = ("variant", "seed", "status", "best_epoch", "best_val_loss", "best_val_accuracy",
                  "test_loss", "test_accuracy", "epochs_run", "diverged_epoch", "train_examples",
                  "validation_examples", "test_examples", "wall_time_s")
AGGREGATED = ("test_accuracy", "test_loss", "best_epoch")


@dataclass
class RunOutput:
    """What one run leaves in its folder: metrics.json (written last), JSON files such as histories,
    figures, and the dataset it read (for provenance; None for kinds that read none)."""

    metrics: dict
    files: dict[str, Any]
    figures: dict[str, Any]
    dataset: dict | None


class RunLocked(NnlabError):
    """Another process is running this very run right now."""


class RunFolderTaken(Fatal):
    """The run's folder holds a finished run of another config: the user chooses, nnlab never overwrites."""


def run_dir(root: Path, study: str, variant: str, seed: int) -> Path:
    return Path(root) / study / variant / f"seed-{seed}"


def in_trials(folder: Path) -> bool:
    """Whether a run folder is where a search's trials are (`trial_dir`): the one place that says it
    from the folder, for runs recorded before their metrics said (integrity.is_trial reads those first)."""
    return Path(folder).parent.parent.name == TRIALS


def trial_dir(root: Path, study: str, trial: str, seed: int) -> Path:
    """A search's trial: a run folder like any other, under the study's trials/ (the report's study
    tables list the variants beside it, the chosen settings and the baseline)."""
    return Path(root) / study / TRIALS / trial / f"seed-{seed}"


def write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename over it: readers see all or nothing.
    The file gets the mode the user's umask gives any new file (mkstemp's own is 0600).

    Its folder is created if its parent exists, never a longer chain: a results folder removed while
    nnlab runs is a fault to report (StorageError), not a folder to create again from the run's path."""
    path = Path(path)
    with storage_faults(path):
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, 0o666 & ~_umask())
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable: until the folder itself is synced, a power cut can forget
    the new name, and the run it completed with it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def storage_faults(path: Path, doing: str = "writing"):
    """An OSError the storage causes (disk full, permission lost, folder gone) as a StorageError
    naming `path` and what to do; any other OSError unchanged."""
    try:
        yield
    except OSError as exc:
        fault = storage_error(exc, path, doing)
        if fault is None:
            raise
        raise fault from exc


def make_run_folder(root: Path, folder: Path) -> None:
    """A run's folder under `root`, which must still exist (see write_bytes)."""
    if not Path(root).is_dir():
        raise StorageError(f"the results folder {root} vanished (removed or moved while nnlab ran)",
                           "put it back, or use another --results")
    with storage_faults(folder, "creating"):
        folder.mkdir(parents=True, exist_ok=True)


def write_record(folder: Path, contents: dict[str, bytes]) -> None:
    """A run's files (`contents`, metrics.json among them) into its folder: every other file, then
    their checksums (metrics.json's too), then an earlier failure.json removed, then metrics.json
    last: its presence marks the run complete."""
    for name, data in contents.items():
        if name != METRICS:
            write_bytes(folder / name, data)
    write_bytes(folder / CHECKSUMS, checksums_bytes(contents))
    with storage_faults(folder / FAILURE, "removing"):
        (folder / FAILURE).unlink(missing_ok=True)
    write_bytes(folder / METRICS, contents[METRICS])


def yaml_bytes(obj: Any) -> bytes:
    return yaml.safe_dump(obj, sort_keys=False).encode()


def checksums_bytes(contents: dict[str, bytes]) -> bytes:
    """`sha256sum`'s format, so `sha256sum -c checksums.sha256` in the run folder checks it too."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(contents.items())).encode()


@functools.cache
def _umask() -> int:
    """The process's umask (read by setting it, so read once and put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: Path, obj: Any) -> None:
    write_bytes(path, json_bytes(obj))


def json_bytes(obj: Any) -> bytes:
    """Strict JSON: a non-finite number (a diverged run's NaN loss) is written as null, which every
    JSON parser reads; `read_history` turns it back into NaN."""
    return (json.dumps(_finite_or_null(obj), indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def _finite_or_null(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_or_null(v) for v in obj]
    return obj


def read_history(path: Path) -> dict[str, list[float]]:
    """A per-epoch history as the code computes with it: null (a non-finite value) back to NaN."""
    return {k: [math.nan if v is None else v for v in values] for k, values in read_json(path).items()}


def save_figure(fig, path: Path) -> None:
    write_bytes(path, figure_bytes(fig))


def figure_bytes(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text())


def run_lock(folder: Path):
    """Hold an exclusive lock on one run folder, or raise RunLocked if another process holds it. The
    OS drops it when the process dies, even by SIGKILL, so a crashed run never wedges the next one."""
    return _folder_lock(folder, wait=False, parents=True)


def writing_in(folder: Path):
    """Hold the lock of a folder whose shared files several processes may write (a study's summary
    tables, the report), waiting for another writer to finish."""
    return _folder_lock(folder, wait=True, parents=False)  # a vanished results folder is not made again


@contextlib.contextmanager
def _folder_lock(folder: Path, wait: bool, parents: bool):
    """The folder's .lock, held; under it temporary files are left only by writers that were killed
    (no one else writes there then), so they are removed."""
    with storage_faults(folder / ".lock", "locking"):
        folder.mkdir(parents=parents, exist_ok=True)
        fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise RunLocked(f"{folder} is being run by another nnlab process right now") from None
        for leftover in folder.glob(TEMPORARY):
            leftover.unlink(missing_ok=True)
        yield
    finally:
        os.close(fd)


def check_writable(root: Path) -> None:
    """Refuse a results folder we could not write into, before anything trains."""
    root = Path(root).absolute()
    probe = root
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise NnlabError(f"results folder {root} cannot be created: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK):
        raise NnlabError(f"results folder {root} is not writable ({probe} denies writing)")


# results/<study>/source.json: the config file that made the study's folder (relative to the results folder). A study's name is its
# folder, so a second config with the same name: (a copy a student forgot to rename) would mix its runs
# into the first's and overwrite its summary.csv; the file it came from tells the two apart.
SOURCE = "source.json"


def check_study_source(root: Path, study: str, config: Path) -> None:
    """Refuse a config whose study folder was made by another config file that still names that study.
    A file that was moved, renamed or given another name: since then gives up its claim."""
    recorded = _recorded_source(Path(root), study)
    if recorded is None or recorded == Path(config).resolve() or not recorded.is_file():
        return
    if _study_name(recorded) != study or _same_text(recorded, Path(config)):
        return  # gave up the name, or a copy of the very same config (a results folder copied with it)
    raise NnlabError(f"{config}: name: '{study}' is also the name of {recorded}, whose runs are in {Path(root) / study}; "
                     f"a study's name is its results folder, so the two would overwrite each other's summary: give "
                     f"this config another name:, or use another --results")


def record_study_source(root: Path, study: str, config: Path) -> None:
    """The config file, relative to the results folder: a repository cloned or copied elsewhere, its
    configs and results together, keeps its claim (and the file is the same bytes in every copy)."""
    folder = Path(root) / study
    if _recorded_source(Path(root), study) != Path(config).resolve():
        with storage_faults(folder, "creating"):
            folder.mkdir(exist_ok=True)
        write_json(folder / SOURCE, {"config": os.path.relpath(Path(config).resolve(), Path(root).resolve())})


def _recorded_source(root: Path, study: str) -> Path | None:
    try:
        return (Path(root).resolve() / read_json(root / study / SOURCE)["config"]).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _same_text(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _study_name(config: Path) -> str | None:
    """The `name:` of a config file, read leniently: a file that no longer reads claims nothing."""
    try:
        raw = yaml.safe_load(config.read_text())
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return raw.get("name") if isinstance(raw, dict) else None


def summary_rows(metrics_by_run: list[dict]) -> list[dict]:
    return [{k: m.get(k) for k in SUMMARY_FIELDS} for m in metrics_by_run]


def aggregate(rows: list[dict]) -> list[dict]:
    """Mean, sample standard deviation and count over the seeds of each variant (ok runs only)."""
    out = []
    for variant in dict.fromkeys(r["variant"] for r in rows):
        runs = [r for r in rows if r["variant"] == variant]
        ok = [r for r in runs if r["status"] == "ok"]
        row = {"variant": variant, "runs": len(runs), "n": len(ok),
               "not_ok": sorted({r["status"] for r in runs} - {"ok"})}
        for key in AGGREGATED:
            values = [float(r[key]) for r in ok if r.get(key) is not None and math.isfinite(r[key])]
            row[f"{key}_mean"], row[f"{key}_sd"] = mean_sd(values)
        out.append(row)
    return out


def csv_bytes(rows: list[dict], fields) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def write_summary(study_dir: Path, rows: list[dict]) -> None:
    """summary.* has one row per run; variants.* one row per variant, aggregated over seeds."""
    write_bytes(study_dir / "summary.csv", csv_bytes(rows, SUMMARY_FIELDS))
    write_json(study_dir / "summary.json", rows)
    variants = aggregate(rows)
    write_bytes(study_dir / "variants.csv", csv_bytes([{**v, "not_ok": " ".join(v["not_ok"])} for v in variants], variants[0]))
    write_json(study_dir / "variants.json", variants)


def write_flat_summary(study_dir: Path, rows: list[dict]) -> None:
    """summary.json for kinds without a training table: each run's plain fields (no lists or tables)."""
    write_json(study_dir / "summary.json", [{k: v for k, v in r.items() if not isinstance(v, (dict, list))} for r in rows])


@contextlib.contextmanager
def stderr_into(log: Path):
    """File descriptor 2 (what C++ and Python print to stderr alike) pointed at `log` until the block
    ends, then given back; an empty log is removed. A run's tensorflow.log (runner.native_output_to),
    a thread pool's for all its runs (executors.thread_pool)."""
    sys.stderr.flush()
    with storage_faults(log):
        sink = open(log, "ab")  # closed below, after fd 2 is given back
    saved = os.dup(2)
    try:
        with sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)
        with contextlib.suppress(OSError):  # an empty log is litter; one we cannot remove is harmless
            if log.stat().st_size == 0:
                log.unlink()
