"""The report's input: every run folder under a results folder, read back and grouped by study and
variant. Nothing here writes; the sections (one per study kind) and report.py do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from . import kinds, records, results, templating
from .config import config_of
from .diagnostics import Diagnosis, diagnose
from .errors import NnlabError
from .i18n import _
from .report_parts import ASSETS
from .stats import mean_sd


@dataclass
class Run:
    folder: Path
    metrics: dict
    config: dict
    provenance: dict | None
    history: dict | None

    @property
    def ok(self) -> bool:
        return self.metrics.get("status") == "ok"

    @cached_property
    def settings(self) -> dict:
        """Its config with every default spelled out (spec's dump), so two runs compare setting by
        setting even where one was made before a key existed (no `dataset.pixels` in its config.yaml);
        the config as recorded where this nnlab no longer accepts it."""
        try:
            return self.spec.model_dump(mode="json")
        except NnlabError:
            return self.config

    @cached_property
    def spec(self):
        """Its config.yaml validated again (nnlab.config.config_of), once: the typed config the report
        reads a run's settings from (its net's widths, its dataset's classes) instead of working them
        out again from the plain dict. Raises ConfigError where this nnlab no longer accepts it."""
        return config_of(self.config)

    @cached_property
    def diagnosis(self) -> Diagnosis | None:
        """Its search-phase curves measured (nnlab.diagnostics), once: the why sentences, the answer
        table, the claims and the tables all read this one. None without curves."""
        return diagnose(self.history, self.metrics.get("best_epoch")) if self.history else None


@dataclass
class VariantStats:
    name: str
    runs: list[Run]

    def values(self, key: str) -> list[float]:
        return [float(r.metrics[key]) for r in self.runs if r.ok and r.metrics.get(key) is not None]

    def mean_sd(self, key: str):
        return mean_sd(self.values(key))

    @property
    def n(self) -> int:
        return sum(r.ok for r in self.runs)

    @property
    def spec(self):
        """The variant's typed config (its runs differ only in their seed)."""
        return self.runs[0].spec

    @property
    def validated_on_test(self) -> bool:
        """The course's script (protocol: course, validation.split test): its epoch was chosen on the
        test set, so its test figures are optimistic and it is never a validation choice."""
        return any((r.config.get("validation") or {}).get("split") == "test" for r in self.runs)

    @property
    def problems(self) -> list[str]:
        return [f"seed {r.metrics['seed']}: {r.metrics['status']}" + (
            f" at epoch {r.metrics['diverged_epoch']}" if r.metrics.get("diverged_epoch") else "")
            for r in self.runs if not r.ok]


@dataclass
class StudyResults:
    name: str
    folder: Path
    variants: list[VariantStats] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)  # figures from elsewhere, as the config last gave them
    _computed: dict = field(default_factory=dict, repr=False, compare=False)

    def computed(self, key: tuple, make):
        """`make()`, once per study and key: the section, the answer table, the headline and the claims
        all ask for the same analysis and comparisons, and all get the one computed first."""
        if key not in self._computed:
            self._computed[key] = make()
        return self._computed[key]

    @property
    def runs(self) -> list[Run]:
        return [r for v in self.variants for r in v.runs]

    @property
    def config(self) -> dict:
        return self.runs[0].config

    @property
    def baseline(self) -> str:
        wanted = self.config.get("baseline")
        names = [v.name for v in self.variants]
        return wanted if wanted in names else names[0]

    def variant(self, name: str) -> VariantStats:
        return next(v for v in self.variants if v.name == name)

    @property
    def kind(self) -> str:
        return kinds.recorded_name(self.runs[0].metrics, self.config)

    def label(self, variant: VariantStats) -> str:
        """A variant's name in a table: the baseline in bold, marked."""
        return _("**{name}** (baseline)").format(name=variant.name) if variant.name == self.baseline else variant.name

    @property
    def asks(self) -> str:
        """What the study asks: its config's description as its latest run recorded it (a study whose
        config grew variants keeps its older runs, which record the older words), in the report's
        language where shipped, without its full stop (the sentence around it adds one)."""
        latest = max(self.runs, key=lambda r: (r.provenance or {}).get("ended") or "")
        description = latest.config.get("description") or self.config.get("description")
        return (_(description) if description else _("(the config gives no description)")).rstrip(".。")

    def heading(self, found: str) -> list[str]:
        """The section's title, then a sentence on what the study asks (its description) and one on
        what it found (the kind's own summary of its numbers): macros.md.j2's heading, as every kind's."""
        return [*templating.macro("heading")(self.name, self.asks, found).split("\n"), ""]


# --- reading -----------------------------------------------------------------------------------

def collect(root: Path, warn=None) -> list[StudyResults]:
    """Every run that is not damaged (nnlab.records) and holds what its kind records, by study and
    variant; any other is left out, and `warn(text)` names it and its problems (the next `nnlab run`
    redoes a damaged one)."""
    studies = [collect_study(folder, warn) for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name != ASSETS)]
    return [study for study in studies if study is not None]


def collect_study(folder: Path, warn=None) -> StudyResults | None:
    """One study folder's runs, as collect reads them; None if it holds no finished run."""
    runs = []
    for run_folder in sorted(Path(folder).glob("*/seed-*")):
        run = _read_run(run_folder, warn)
        runs += [run] if run else []
    if not runs:
        return None
    study = StudyResults(Path(folder).name, Path(folder), references=_references(Path(folder)))
    for name in _variant_order(Path(folder), runs):
        chosen = sorted((r for r in runs if r.metrics["variant"] == name), key=lambda r: r.metrics["seed"])
        study.variants.append(VariantStats(name, chosen))
    return study


def collect_trials(folder: Path, warn=None) -> list[Run]:
    """A search study's trials (its trials/<id>/seed-<n> folders), read as collect reads runs."""
    runs = [_read_run(run_folder, warn, trial=True) for run_folder in sorted((Path(folder) / results.TRIALS).glob("*/seed-*"))]
    return [run for run in runs if run]


def _references(folder: Path) -> list[dict]:
    """The study's reference figures (results.REFERENCES); none if absent or damaged."""
    try:
        references = results.read_json(folder / results.REFERENCES)
    except (OSError, ValueError):
        return []
    return [r for r in references if isinstance(r, dict)] if isinstance(references, list) else []


def _read_run(folder: Path, warn=None, trial: bool = False) -> Run | None:
    metrics, problems = records.read_record(folder)
    if metrics is None:
        if problems and warn:
            warn("left out of the report, damaged: " + "; ".join(p.line(folder) for p in problems)
                 + " (the next `nnlab run` of its study redoes it)")
        return None
    if metrics["status"] != "failed":  # a finished run (a failure records only its error)
        kind = kinds.of_record(metrics)
        trial = trial or bool(metrics.get("trial"))  # a trial made before metrics recorded it: known by its folder
        lacking = [f"kind '{metrics.get('kind')}', which this nnlab does not know"] if kind is None else kind.missing(metrics, trial)
        if lacking:
            if warn:
                warn(f"left out of the report: {folder / results.METRICS} lacks what such a run records: "
                     f"{', '.join(lacking)} (`nnlab verify` checks it)")
            return None
    config_path, provenance_path, history_path = (folder / n for n in ("config.yaml", "provenance.json", "search_history.json"))
    config = yaml.safe_load(config_path.read_text()) if config_path.is_file() else {}
    return Run(folder, metrics, config,
               results.read_json(provenance_path) if provenance_path.is_file() else None,
               results.read_history(history_path) if history_path.is_file() else None)


def _variant_order(folder: Path, runs: list[Run]) -> list[str]:
    """Config order, as the study summary keeps it; variants it does not list come last, by name."""
    names = sorted({r.metrics["variant"] for r in runs})
    try:
        listed = list(dict.fromkeys(row["variant"] for row in results.read_json(folder / "summary.json")))
    except (OSError, ValueError, TypeError, KeyError):  # absent or damaged: the order by name will do
        listed = []
    return [n for n in listed if n in names] + [n for n in names if n not in listed]
