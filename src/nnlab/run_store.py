"""One run, trained once per results folder. A run is its key (config, seed, data, run format), but its
folder belongs to a study, and several studies hold the same run: reuters_units' units-64 is
reuters_layers' hidden_layers-2 and reuters_search's baseline, and IMDB's 2×16 baseline is in four
studies. The first study to need a run trains it; the others get a copy of its record, relabelled
with their own study and variant and saying where it was trained (`same_run_as`), so that every study
folder still holds whole, checksummed runs: resume, locks, `verify`, `diff` and the report read them
as before.

    results/.runs/<run key>/holder    the folder, relative to results/, holding the finished run
    results/.runs/<run key>/.lock     held while the run is trained or copied: a second study that
                                      needs the same run waits for it instead of training it too

    claim(root, key)                  that lock, held (waits for another holder)
    holder(root, key)                 the folder that holds the finished run of `key`, or None
    point(root, key, folder)          record `folder` as its holder, once its run is written
    copy_run(source, folder, ...)     the finished run's files in another study's folder, relabelled

A search's trials are not shared (a trial belongs to its search). Nothing here reads the numbers:
whether the holder's run is finished and whole is the caller's check (nnlab.integrity).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from . import results

STORE = ".runs"  # hidden: the readers of a results folder take its visible folders for studies
HOLDER = "holder"


def _entry(root: Path, key: str) -> Path:
    return Path(root) / STORE / key


@contextlib.contextmanager
def claim(root: Path, key: str):
    """Hold the run key's lock, waiting while another process trains or copies the same run."""
    entry = _entry(root, key)
    with results.storage_faults(entry, "creating"):
        entry.mkdir(parents=True, exist_ok=True)
    with results.writing_in(entry):
        yield


def holder(root: Path, key: str) -> Path | None:
    """The folder recorded as holding the finished run of `key` (it may since have been removed or
    damaged: the caller checks it), or None."""
    try:
        relative = (_entry(root, key) / HOLDER).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    folder = Path(root) / relative
    return folder if relative and ".." not in Path(relative).parts else None


def point(root: Path, key: str, folder: Path) -> None:
    """Record `folder` (under `root`) as the holder of the finished run of `key`."""
    entry = _entry(root, key)
    with results.storage_faults(entry, "creating"):
        entry.mkdir(parents=True, exist_ok=True)
    results.write_bytes(entry / HOLDER, (Path(folder).relative_to(root).as_posix() + "\n").encode())


def index_finished(root: Path, keys: set[str]) -> int:
    """Point each of `keys` that no entry names yet at a finished run folder that holds it (runs made
    before the store, or by an nnlab that had none); the number of entries written. Reads only the
    metrics.json of the run folders under `root`'s studies; trials are not shared."""
    wanted = {k for k in keys if holder(root, k) is None}
    written = 0
    if not wanted:
        return 0
    for metrics_file in sorted(Path(root).glob(f"*/*/seed-*/{results.METRICS}")):
        if not wanted:
            break
        if metrics_file.parts[-4].startswith(".") or metrics_file.parts[-3] == results.TRIALS:
            continue
        try:
            key = json.loads(metrics_file.read_text(encoding="utf-8")).get("run_key")
        except (OSError, ValueError, AttributeError):
            continue
        if key in wanted:
            point(root, key, metrics_file.parent)
            wanted.discard(key)
            written += 1
    return written


def copy_run(source: Path, folder: Path, root: Path, study: str, resolved: dict) -> dict:
    """Write the finished run in `source` into `folder` as a run of study `study` whose config, as a
    run folder records it, is `resolved` (its variant, seed, overrides and settings: the same run key
    as the source's): every file the source's checksums list, with metrics.json's study and variant,
    config.yaml and provenance.json's config this study's own, `same_run_as` naming `source` (relative
    to `root`), the checksums recomputed, metrics.json last. Its figures keep the title of the study
    that trained it. Returns the new metrics."""
    listed = [line.split("  ", 1)[1] for line in (source / results.CHECKSUMS).read_text(encoding="utf-8").splitlines()
              if "  " in line]
    trained_in = Path(source).relative_to(root).as_posix()
    contents = {name: (source / name).read_bytes() for name in listed if name != results.CHECKSUMS}
    metrics = json.loads((source / results.METRICS).read_bytes())
    metrics.update({k: v for k, v in (("study", study), ("variant", resolved["variant"])) if k in metrics})
    metrics["same_run_as"] = trained_in
    contents[results.METRICS] = results.json_bytes(metrics)
    if "config.yaml" in contents:
        contents["config.yaml"] = results.yaml_bytes(resolved)
    if "provenance.json" in contents:
        provenance = json.loads(contents["provenance.json"])
        provenance["config"] = resolved
        provenance["same_run_as"] = trained_in
        contents["provenance.json"] = results.json_bytes(provenance)
    results.write_record(folder, contents)
    return metrics


def shared_count(runs_metrics: list[dict]) -> int:
    """How many of these runs were copied from another study's run rather than trained.

    >>> shared_count([{"same_run_as": "a/b/seed-0"}, {}, {"same_run_as": None}])
    1
    """
    return sum(1 for m in runs_metrics if m.get("same_run_as"))

