"""A study's own files beside its run folders: its summary tables over every finished run, written by
its kind, and the reference figures its config gives, which the report reads."""

from __future__ import annotations

from pathlib import Path

from . import kinds, records, results
from .config import Study


def write_study_outputs(study: Study, root: Path, warn=None) -> None:
    """The study's summary over every finished (or failed) run of its variants, by its kind. A run
    that is damaged (nnlab.records) is left out, and `warn(text)` says so."""
    rows, first_histories = [], {}
    for variant in study.variants:
        for seed in variant.config.seeds:
            folder = results.run_dir(root, study.name, variant.id, seed)
            metrics, problems = records.read_record(folder)
            if problems and warn:
                warn(f"{folder} left out of the summary: " + "; ".join(p.line(folder) for p in problems))
            if metrics is None:
                continue
            rows.append(metrics)
            if variant.id not in first_histories and (folder / "search_history.json").is_file():
                first_histories[variant.id] = (results.read_history(folder / "search_history.json"),
                                               metrics.get("best_epoch"))
    if rows:
        with results.writing_in(Path(root) / study.name):
            kinds.of(study.variants[0].config).run.summarize(study.name, Path(root) / study.name, rows, first_histories)
            write_references(study, Path(root) / study.name)


def write_references(study: Study, folder: Path) -> None:
    """The study's reference figures as its config last gave them (results.REFERENCES), for the report:
    they are in no run key, so runs made before a figure was added still meet it there."""
    references = [r.model_dump(mode="json", exclude_none=True) for r in getattr(study.variants[0].config, "references", [])]
    if references:
        results.write_json(folder / results.REFERENCES, references)
    else:
        (folder / results.REFERENCES).unlink(missing_ok=True)
