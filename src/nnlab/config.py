"""Study configs: read a YAML file, expand its grid and named variants, validate each variant against
its kind's schema (nnlab/kinds/), and name the file and key of anything wrong.

Nothing here imports TensorFlow, so `nnlab validate` and `nnlab list` answer in
well under a second and a bad config is refused before any training starts.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import ConfigError
from .kinds import KINDS
from .schema_errors import did_you_mean, error_lines
from .search.spec import SearchSpec
from .specs import TEXT_DATASETS, StudyBase


@dataclass(frozen=True)
class Variant:
    id: str
    overrides: dict[str, Any]
    config: StudyBase


@dataclass(frozen=True)
class Study:
    """A study's variants, and for a search study (a `search:` block) the search: then its one
    variant, `baseline`, is the config as written, and the search adds `best` when it ends."""

    name: str
    path: Path
    variants: list[Variant]
    search: SearchSpec | None = None

    @property
    def seeds(self) -> list[int]:
        return self.variants[0].config.seeds

    @property
    def baseline(self) -> str:
        return self.variants[0].config.baseline or self.variants[0].id


# --- loading -----------------------------------------------------------------------------------

_STUDY_KEYS = ("grid", "variants", "search")
SEARCH_BASELINE = "baseline"  # a search study's config as written, run beside the settings the search chose


def load_study(path: str | Path, overrides: dict[str, Any] | None = None) -> Study:
    """Read, expand and validate a study file; raise ConfigError naming file and key on any fault.

    `overrides` are dotted keys applied to every variant (the CLI's --epochs, --subset, ...).
    """
    path = Path(path)
    raw = _read_yaml(path)
    base = {k: v for k, v in raw.items() if k not in _STUDY_KEYS}
    if "search" in raw:
        return _load_search_study(path, raw, base, overrides)
    expanded = expand(raw.get("grid"), raw.get("variants"), path)
    variants = []
    for vid, vover in expanded:
        data = copy.deepcopy(base)
        for key, value in vover.items():
            _set_dotted(data, key, value, path, vid)
        kind = KINDS.get(data.get("kind", "train"))
        for key, value in (overrides or {}).items():
            # Command-line overrides (--epochs, --subset, ...) touch only the kinds that have the key.
            if kind is None or key.split(".")[0] in kind.Config.model_fields:
                _set_dotted(data, key, value, path, vid)
        config = _validate(data, path, vid)
        variants.append(Variant(vid, vover, config))
    ids = [v.id for v in variants]
    baseline = variants[0].config.baseline
    if baseline is not None and baseline not in ids:
        raise ConfigError(f"{path}: baseline: '{baseline}' is not a variant{did_you_mean(baseline, ids)}; variants: {', '.join(ids)}")
    return Study(name=variants[0].config.name, path=path, variants=variants)


def _load_search_study(path: Path, raw: dict[str, Any], base: dict[str, Any], overrides: dict[str, Any] | None) -> Study:
    """The search block, checked against its schema, and every value of its space (a range's two
    ends) checked against the study's own schema, so a bad value fails before the first trial."""
    clash = [k for k in ("grid", "variants") if k in raw]
    if clash:
        raise ConfigError(f"{path}: {clash[0]}: a study with search: proposes its own variants; "
                          f"put the values to try under search.space instead")
    if base.get("kind", "train") != "train":
        raise ConfigError(f"{path}: search: searches training studies; kind '{base.get('kind')}' has nothing to search")
    try:
        spec = SearchSpec.model_validate(raw["search"])
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: search.{line}" for line in error_lines(exc, SearchSpec))) from None
    data = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        _set_dotted(data, key, value, path, SEARCH_BASELINE)
    config = _validate(data, path, SEARCH_BASELINE)
    for key, values in spec.endpoints().items():
        for value in values:
            trial = copy.deepcopy(data)
            _set_dotted(trial, key, value, path, f"search.space.{key}")
            _validate(trial, path, f"search.space.{key} = {value!r}")
    if config.baseline not in (None, SEARCH_BASELINE):
        raise ConfigError(f"{path}: baseline: a search study compares its choice with the config as written "
                          f"('{SEARCH_BASELINE}'); leave baseline out")
    return Study(name=config.name, path=path, variants=[Variant(SEARCH_BASELINE, {}, config)], search=spec)


def search_variant(study: Study, variant_id: str, params: dict[str, Any]) -> Variant:
    """The study's config with a trial's settings applied (validated, as every variant is)."""
    data = study.variants[0].config.model_dump(mode="json", exclude_defaults=True)
    data["name"] = study.name
    for key, value in params.items():
        _set_dotted(data, key, value, study.path, variant_id)
    return Variant(variant_id, dict(params), _validate(data, study.path, variant_id))


def config_of(resolved: dict[str, Any]) -> StudyBase:
    """A run's config as its provenance.json records it (the variant's resolved config, with its
    variant id, seed and overrides beside), validated again: what `nnlab verify` keys the run from."""
    data = copy.deepcopy({k: v for k, v in resolved.items() if k not in ("variant", "seed", "overrides")})
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and dataset.get("name") not in TEXT_DATASETS:
        dataset.pop("num_words", None)  # a full dump records the vocabulary's default even where none applies
    kind = KINDS.get(data.get("kind", "train"))
    if kind is None:
        raise ConfigError(f"kind '{data.get('kind')}' is not a study kind")
    try:
        return kind.Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(error_lines(exc, kind.Config))) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a study config must be a YAML mapping of keys, got {type(raw).__name__}")
    return raw


def expand(grid: Any, variants: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(id, dotted overrides) for every variant: named variants x the cartesian grid."""
    named: list[tuple[str, dict[str, Any]]] = [("", {})]
    if variants is not None:
        if not isinstance(variants, list) or not variants:
            raise ConfigError(f"{path}: variants: must be a non-empty list of {{name: ..., <dotted key>: value}}")
        named = []
        for i, item in enumerate(variants):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ConfigError(f"{path}: variants[{i}]: each variant needs a 'name' and its overrides as dotted keys")
            name = item["name"]
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
                raise ConfigError(f"{path}: variants[{i}].name: '{name}' may hold only letters, digits, '_', '.', '-'")
            named.append((name, {k: v for k, v in item.items() if k != "name"}))
    cells: list[tuple[str, dict[str, Any]]] = [("", {})]
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise ConfigError(f"{path}: grid: must be a non-empty mapping of dotted keys to lists of values")
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"{path}: grid.{key}: must be a non-empty list of values, got {values!r}")
        labels = grid_labels(list(grid))
        cells = []
        for combo in itertools.product(*grid.values()):
            vid = "_".join(f"{label}-{_slug(v)}" for label, v in zip(labels, combo))
            cells.append((vid, dict(zip(grid, combo))))
    out = [("_".join(p for p in (n, c) if p) or "default", {**nov, **cov}) for n, nov in named for c, cov in cells]
    ids = [vid for vid, _ in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: variant ids repeat: {', '.join(dupes)}; give each variant a distinct name")
    return out


def grid_labels(keys: list[str]) -> list[str]:
    """Last segment of each dotted key, or the whole key where last segments would collide."""
    last = [k.split(".")[-1] for k in keys]
    return [lst if last.count(lst) == 1 else k.replace(".", "-") for k, lst in zip(keys, last)]


def _slug(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_slug(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9.-]+", "", text) or "none"


def _set_dotted(data: dict[str, Any], key: str, value: Any, path: Path, vid: str) -> None:
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{path}: variant '{vid}': cannot set '{key}': '{part}' is not a mapping")
        node = child
    node[parts[-1]] = value


def _validate(data: dict[str, Any], path: Path, vid: str) -> StudyBase:
    where = f"variant '{vid}': " if vid != "default" else ""
    kind = data.get("kind", "train")
    if kind not in KINDS:
        raise ConfigError(f"{path}: {where}kind: '{kind}' is not a study kind{did_you_mean(kind, KINDS)}; "
                          f"allowed: {', '.join(KINDS)}")
    schema = KINDS[kind].Config
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {where}{line}" for line in error_lines(exc, schema)]
        raise ConfigError("\n".join(lines)) from None
