"""Figures from a student's own notebook, kept in a small file of their own and checked by `nnlab report
--references FILE` against the runs, without editing any study config (which would change nothing a
run computes, but is the course's file, not theirs). Each figure is a study config's `references:`
entry with the study it is about:

    source: "Li Hua's notebook (one run each, read off the curves)"
    figures:
      - {study: reuters_units, variant: units-32, said: "test a tiny bit better", best_epoch: 15, test_accuracy: higher}
      - {study: imdb_layers, variant: hidden_layers-3, best_epoch: 1}

`source` names where the figures come from (each figure may give its own); it defaults to the file's
name. The report's claims table of each study sets them beside its config's own, with a verdict.

    load(path)      {study name: [reference dicts]}, or a ConfigError naming the file and key
    summary(path)   the line `nnlab report` prints: how many figures, checked where
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .config_file import read_yaml
from .errors import ConfigError
from .kinds.train.schema import Reference
from .schema_errors import did_you_mean, error_lines

KEYS = ("source", "figures")


def load(path: str | Path) -> dict[str, list[dict]]:
    """Each study's figures from the file at `path`, validated as a config's `references:` are."""
    path = Path(path)
    raw = read_yaml(path)
    for key in raw:
        if key not in KEYS:
            raise ConfigError(f"{path}: {key}: not a key of a references file{did_you_mean(str(key), KEYS)}; it holds "
                              f"source (where the figures come from) and figures (a list, each with study and variant)")
    source = raw.get("source", path.name)
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{path}: source: give where the figures come from, as text (a notebook, a book)")
    figures = raw.get("figures")
    if not isinstance(figures, list) or not figures:
        raise ConfigError(f"{path}: figures: give a list of figures, each {{study: ..., variant: ..., best_epoch: ...}}")
    by_study: dict[str, list[dict]] = {}
    for i, figure in enumerate(figures):
        if not isinstance(figure, dict):
            raise ConfigError(f"{path}: figures[{i}]: a figure is a mapping {{study: ..., variant: ..., <figure>: ...}}")
        study = figure.get("study")
        if not isinstance(study, str) or not study:
            raise ConfigError(f"{path}: figures[{i}].study: name the study the figure is about (a folder of the results)")
        fields = {"source": source, **{k: v for k, v in figure.items() if k != "study"}}
        try:
            reference = Reference.model_validate(fields)
        except ValidationError as exc:
            raise ConfigError("; ".join(f"{path}: figures[{i}].{line}" for line in error_lines(exc, Reference))) from None
        by_study.setdefault(study, []).append(reference.model_dump(mode="json", exclude_none=True))
    return by_study


def attach(by_study: dict[str, list[dict]], studies: list, path: Path, root: Path) -> None:
    """Add the file's figures to the studies they name (report_data.StudyResults, training studies);
    a study the results lack is an error naming the file, not a silent skip."""
    named = {s.name: s for s in studies}
    for study, figures in by_study.items():
        if study not in named:
            raise ConfigError(f"{path}: figures: study '{study}' is not among the results in {root}"
                              f"{did_you_mean(study, list(named))}; they hold {', '.join(sorted(named)) or 'none'}")
        if named[study].kind != "train":
            raise ConfigError(f"{path}: figures: study '{study}' is a {named[study].kind} study; figures are checked "
                              f"against training studies (best epoch, accuracies, overfitting)")
        named[study].references = [*named[study].references, *figures]


def summary(path: str | Path) -> str:
    """What `nnlab report --references` prints of a file it checked: its figures and their studies."""
    by_study = load(path)
    count = sum(map(len, by_study.values()))
    return (f"{path}: {count} figure{'s' * (count != 1)} checked in the claims table of {', '.join(by_study)} "
            f"(each study's \"Figures from elsewhere, checked\")")
