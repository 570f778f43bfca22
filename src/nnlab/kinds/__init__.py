"""Study kinds. A kind is one folder, kinds/<kind>/, its jobs in separate rooms, each importing only
what its job needs (import-linter holds them to it: `make lint-imports`):

    schema.py   NAME, the `kind:` a config names ("train" when it names none), and Config, its
                pydantic schema (with REVISION, the kind's own run format). Only pydantic and
                nnlab.specs: `nnlab validate` and `nnlab list` load the schemas and nothing else.
    record.py   what a finished run's metrics.json holds (FIELDS), the rules it obeys on disk
                (check(folder, metrics, files, trial) -> [(file, problem)]: nnlab verify, and a run
                that fails them is redone), its console line (headline(metrics)) and `nnlab show`'s
                (label, text) lines (show(config, metrics): config given, or metrics given).
    run.py      dataset(config, data_dir): what it trains on, loaded before any run (None: nothing);
                preflight(config, data): raise NnlabError for what would fail later;
                run(study, variant_id, config, seed, data, progress) -> results.RunOutput;
                summarize(study_name, study_dir, rows, first_histories): the study's tables.
                Imported only where runs are made; TensorFlow loads inside run(), where a run trains.
    report.py   section(root, study_results): the kind's part of the report, as Markdown lines.
    figures.py  the kind's own figures, where it draws any beyond nnlab.plots' shared ones: matplotlib
                only, used by its run (a run's own figures) and its report (the study's).

Adding a kind is one folder and its name in NAMES below. The rooms other than the schema are
imported when first asked for (`Kind.run`, ...), so a process loads only the rooms it uses.

Example:

    >>> from nnlab import kinds
    >>> kinds.named("xor").schema.Config.model_fields["repeats"].default
    100
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

# One folder each, next to this file.
NAMES = ("train", "xor", "lr_decay_demo", "activation_gallery", "poly_fit", "backprop_example", "functions_gallery",
         "conv_shapes")


@dataclass(frozen=True)
class Kind:
    name: str

    @property
    def schema(self) -> ModuleType:
        return _room(self.name, "schema")

    @property
    def Config(self):
        return self.schema.Config

    @property
    def record(self) -> ModuleType:
        return _room(self.name, "record")

    @property
    def run(self) -> ModuleType:
        return _room(self.name, "run")

    @property
    def report(self) -> ModuleType:
        return _room(self.name, "report")

    def fields(self, trial: bool = False) -> tuple[str, ...]:
        """What every finished run of this kind records in metrics.json (a search's trial: its own)."""
        return getattr(self.record, "TRIAL_FIELDS", self.record.FIELDS) if trial else self.record.FIELDS

    def missing(self, metrics: dict, trial: bool = False) -> list[str]:
        """The fields a finished run of this kind records that these metrics lack (hand-edited, or
        from another version): verify flags them, the report leaves the run out."""
        return [name for name in self.fields(trial) if name not in metrics]


@functools.cache
def _room(kind: str, room: str) -> ModuleType:
    return import_module(f"{__name__}.{kind}.{room}")


KINDS: dict[str, Kind] = {name: Kind(name) for name in NAMES}


def named(name: str) -> Kind:
    return KINDS[name]


def of(config) -> Kind:
    """The kind of a validated config."""
    return KINDS[config.kind]


def recorded_name(metrics: dict | None, config: dict | None = None) -> str:
    """The kind a run folder's metrics (or its recorded config) name. Runs made before study kinds
    existed, and train runs before every run recorded its kind, name none: they are training runs."""
    return (metrics or {}).get("kind") or (config or {}).get("kind") or "train"


def of_record(metrics: dict | None, config: dict | None = None) -> Kind | None:
    """The kind of a recorded run; None for one this nnlab does not know."""
    return KINDS.get(recorded_name(metrics, config))
