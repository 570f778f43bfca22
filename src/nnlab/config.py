"""Study configs: read a YAML file, count the runs it asks for, expand its grid and named variants,
validate each variant against its kind's schema (nnlab/kinds/), and name the file and key of anything wrong.

Nothing here imports TensorFlow, so `nnlab validate` and `nnlab list` answer in
well under a second and a bad config is refused before any training starts.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import dotted
from .config_file import check_run_count, check_search_run_count, config_seeds, override_seeds, read_yaml, seed_count
from .errors import ConfigError
from .grid import check_file_names, cross, grid_labels, grid_of, named_variants, slug
from .kinds import KINDS
from .same_runs import refuse_duplicate_runs, same_run_form
from .schema_errors import did_you_mean, error_lines
from .search.spec import SEED_FREE, SearchSpec
from .selection import Rule
from .spec_tables import TEXT_DATASETS
from .specs import StudyBase
from .variant_filter import matches


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
    patterns: tuple[str, ...] = ()  # -k: run only the variants these name (nnlab.variant_filter); the summary keeps all
    notes: tuple[str, ...] = ()  # what loading changed without refusing: grid cells folded, references left out

    def selecting(self, patterns) -> Study:
        """The study with `-k` patterns set: `selected` then holds only the variants they match."""
        return dataclasses.replace(self, patterns=tuple(patterns or ()))

    @property
    def selected(self) -> list[Variant]:
        return [v for v in self.variants if matches(v.id, self.patterns)]

    @property
    def seeds(self) -> list[int]:
        return self.variants[0].config.seeds

    @property
    def baseline(self) -> str:
        return self.variants[0].config.baseline or self.variants[0].id

    @property
    def run_count(self) -> int:
        """Runs it will make: each variant x its seeds, or a search's trials and its two tested variants."""
        if self.search:
            return self.search.all_trials + self.search.tested * len(self.seeds) if self.selected else 0
        return sum(len(variant.config.seeds) for variant in self.selected)

    def what_runs(self) -> str:
        if self.search and self.search.compare:
            compare = self.search.compare
            once = [s for s in compare.strategies if s in SEED_FREE]
            return (f"{', '.join(compare.strategies)} searches of {self.search.trials} trials from {len(compare.seeds)} "
                    f"search seeds each{' (' + ' and '.join(once) + ': one, as they draw on no seed)' if once else ''}, sharing "
                    f"trials of the same settings, then each choice and the baseline x {len(self.seeds)} seeds")
        if self.search:
            return (f"a {self.search.strategy} search of {self.search.budget} trials, then the chosen settings and "
                    f"the baseline x {len(self.seeds)} seeds")
        chosen = f" (-k: {', '.join(v.id for v in self.selected)})" if self.patterns else ""
        return f"{len(self.selected)} variants x {len(self.seeds)} seeds{chosen}"


# --- loading -----------------------------------------------------------------------------------

_STUDY_KEYS = ("grid", "variants", "search")
TRIALS_KEY = "search.trials"  # --trials: set in a search study's block, in no other study
SEARCH_BASELINE = "baseline"  # a search study's config as written, run beside the settings the search chose

# Sizes checked before any work that grows with them. A study asks for at most DEFAULT_MAX_RUNS runs
# unless --max-runs raises it: the course's largest study has 20 variants x 3 seeds, while three grid
# keys of 100 values (one slip from 10) ask for a million, and listing them took over a minute and
# 650 MB before `nnlab validate` could answer.
DEFAULT_MAX_RUNS = 10_000


def command_line_overrides(subset: int | None = None, epochs: int | None = None, seeds: int | None = None,
                           threads: int | None = None, trials: int | None = None) -> dict[str, Any]:
    """--subset N, --epochs N, --seeds N, --threads N and --trials N as the dotted keys they set in every
    variant (of the kinds that have them): the first N examples, N epochs, seeds 0..N-1, N TensorFlow
    threads; and a search study's budget, N trials a search."""
    out: dict[str, Any] = {}
    if trials is not None:
        out[TRIALS_KEY] = trials
    if threads is not None:
        out["threads"] = threads
    if seeds is not None:
        out["seeds"] = list(range(seeds))
    if subset is not None:
        out["dataset.subset"] = subset
    if epochs is not None:
        out["epochs"] = epochs
    return out


def load_study(path: str | Path, overrides: dict[str, Any] | None = None, max_runs: int = DEFAULT_MAX_RUNS) -> Study:
    """Read, expand and validate a study file; raise ConfigError naming file and key on any fault.

    `overrides` are dotted keys applied to every variant (the CLI's --epochs, --subset, ...). A study
    of more than `max_runs` runs is refused from the lengths of its lists, before anything is expanded.
    """
    path = Path(path)
    raw = read_yaml(path)
    base = {k: v for k, v in raw.items() if k not in _STUDY_KEYS}
    if "search" in raw:
        return _load_search_study(path, raw, base, overrides, max_runs)
    named, grid = named_variants(raw.get("variants"), path), grid_of(raw.get("grid"), path)
    check_run_count(path, named, grid, "variants" in raw, config_seeds(base), override_seeds(overrides), max_runs)
    expanded = cross(named, grid, path)
    variants = []
    for vid, vover, _, _ in expanded:
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
    variants, inert = _fold_inert(path, variants)
    variants, renamed, notes = _fold_grid_cells(variants, expanded, grid, inert)
    refuse_duplicate_runs(path, variants)
    check_file_names(path, variants)
    ids = [v.id for v in variants]
    baseline = variants[0].config.baseline
    if baseline in renamed:
        baseline = renamed[baseline]
        variants = [dataclasses.replace(v, config=v.config.model_copy(update={"baseline": baseline})) for v in variants]
    if baseline is not None and baseline not in ids:
        raise ConfigError(f"{path}: baseline: '{baseline}' is not a variant{did_you_mean(baseline, ids)}; variants: {', '.join(ids)}")
    variants, left_out = _references_kept(variants, renamed)
    if left_out:
        notes.append(f"references: left out {len(left_out)} figure{'s' * (len(left_out) != 1)} about variants this study does "
                     f"not have ({', '.join(sorted(set(left_out)))}); its variants: {', '.join(ids)}")
    return Study(name=variants[0].config.name, path=path, variants=variants, notes=tuple(notes))


def _fold_inert(path: Path, variants: list[Variant]) -> tuple[list[Variant], dict[str, dict[str, str]]]:
    """A setting that changes nothing in a variant (dropout with no hidden layer) is reset there to its
    default, so that the variant is keyed as the run it trains. Where it changes nothing in every
    variant that sets it, the config is wrong, and refused, naming the key and why. Returns the
    variants and, by variant id, the settings reset."""
    inert = {v.id: v.config.inert() for v in variants}
    keys = {key for found in inert.values() for key in found}
    for key in sorted(keys):
        used = [v for v in variants if key not in inert[v.id] and dotted.get(v.config, key) != _dotted_default(v.config, key)]
        if not used:
            why = next(found[key] for found in inert.values() if key in found)
            where = "" if len(variants) == 1 else f" in any variant ({', '.join(v.id for v in variants if key in inert[v.id])})"
            raise ConfigError(f"{path}: {key}: does nothing{where}: {why}; leave it out")
    return [dataclasses.replace(v, config=v.config.without(list(inert[v.id]))) if inert[v.id] else v for v in variants], inert


def _fold_grid_cells(variants: list[Variant], expanded: list[tuple[str, dict[str, Any], str, tuple]],
                     grid: dict[str, list[Any]], inert: dict[str, dict[str, str]]) -> tuple[list[Variant], dict[str, str], list[str]]:
    """Grid cells of one named variant that train the same runs because the keys they differ in do
    nothing there (hidden_layers 0 with units 16 and with 64: no layer has units) become one variant,
    named by the grid keys that still differ: trained once and counted once. Cells that differ in two
    spellings of one setting are left for same_runs to refuse. Returns the variants, {old id: new id},
    and a note per fold."""
    keys = list(grid)
    labels = grid_labels(keys) if grid else []
    groups: dict[tuple[str, str, tuple], list[int]] = {}
    for i, variant in enumerate(variants):
        form = (expanded[i][2], same_run_form(variant.config), tuple(variant.config.seeds))
        groups.setdefault(form, []).append(i)

    def differing(members: list[int]) -> set[int]:
        return {k for k in range(len(keys)) if len({repr(expanded[m][3][k]) for m in members}) > 1}

    def made_inert(members: list[int]) -> bool:
        reset = {key for m in members for key in inert[variants[m].id]}
        return all(any(r == keys[k] or r.startswith(keys[k] + ".") or keys[k].startswith(r + ".") for r in reset)
                   for k in differing(members))

    kept, renamed, notes = [], {}, []
    folded_into = {i: members for members in groups.values() if len(members) > 1 and made_inert(members) for i in members}
    taken = {v.id for v in variants}
    for i, variant in enumerate(variants):
        members = folded_into.get(i)
        if members is None:
            kept.append(variant)
            continue
        if i != members[0]:
            continue
        changed = differing(members)
        combo = expanded[i][3]
        cell = "_".join(f"{labels[k]}-{slug(combo[k])}" for k in range(len(labels)) if k not in changed)
        new_id = "_".join(p for p in (expanded[i][2], cell) if p) or "default"
        if new_id != variant.id and new_id in taken:
            new_id = variant.id  # another variant holds the shorter name: keep the first cell's
        ids = [variants[m].id for m in members]
        for old in ids:
            renamed[old] = new_id
        names = ", ".join(keys[k] for k in sorted(changed))
        notes.append(f"grid: {', '.join(ids)} train the same runs ({names} change{'s' * (len(changed) == 1)} nothing "
                     f"there), so they are one variant, {new_id}, trained and counted once")
        kept.append(dataclasses.replace(variant, id=new_id))
    return kept, renamed, notes


def _references_kept(variants: list[Variant], renamed: dict[str, str]) -> tuple[list[Variant], list[str]]:
    """Figures from elsewhere about variants the study has (a folded cell's under its new name); the
    others are left out, not refused: a student who trims a copied grid keeps a study that runs."""
    references = getattr(variants[0].config, "references", None)
    if not references:
        return variants, []
    ids = {v.id for v in variants}
    kept, left_out = [], []
    for reference in references:
        name = renamed.get(reference.variant, reference.variant)
        if name in ids:
            kept.append(reference.model_copy(update={"variant": name}))
        else:
            left_out.append(reference.variant)
    if not left_out and all(r.variant in ids for r in references):
        return variants, []
    return [dataclasses.replace(v, config=v.config.model_copy(update={"references": kept})) for v in variants], left_out


def _dotted_default(config: Any, key: str) -> Any:
    *parents, last = key.split(".")
    for part in parents:
        config = getattr(config, part)
    return type(config).model_fields[last].default


def distinct_names(studies: list[Study]) -> list[Study]:
    """Studies run together, refused where two share a name: their runs and summary would share one
    results folder, and the second's summary.csv would overwrite the first's."""
    first: dict[str, Study] = {}
    for study in studies:
        other = first.setdefault(study.name, study)
        if other is not study and Path(other.path).resolve() != Path(study.path).resolve():
            raise ConfigError(f"{study.path}: name: '{study.name}' is also the name of {other.path}; a study's name is its "
                              f"results folder, so the two would overwrite each other's summary: give one another name")
    return studies


def _load_search_study(path: Path, raw: dict[str, Any], base: dict[str, Any], overrides: dict[str, Any] | None,
                       max_runs: int) -> Study:
    """The search block, checked against its schema, and every value of its space (a range's two
    ends) checked against the study's own schema, so a bad value fails before the first trial."""
    clash = [k for k in ("grid", "variants") if k in raw]
    if clash:
        raise ConfigError(f"{path}: {clash[0]}: a study with search: proposes its own variants; "
                          f"put the values to try under search.space instead")
    if base.get("kind", "train") != "train":
        raise ConfigError(f"{path}: search: searches training studies; kind '{base.get('kind')}' has nothing to search")
    data = copy.deepcopy(base)
    overrides = dict(overrides or {})
    search = raw["search"]
    if overrides.get(TRIALS_KEY) is not None and isinstance(search, dict):  # --trials: the search's budget, not the net's
        search = {**search, "trials": overrides.pop(TRIALS_KEY)}
    overrides.pop(TRIALS_KEY, None)
    for key, value in overrides.items():
        _set_dotted(data, key, value, path, SEARCH_BASELINE)
    try:
        spec = SearchSpec.model_validate(_real_ranges(search, data, path))
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: search.{line}" for line in error_lines(exc, SearchSpec))) from None
    seeds = override_seeds(overrides)
    check_search_run_count(path, spec, seed_count(config_seeds(base) if seeds is None else seeds), max_runs)
    config = _validate(data, path, SEARCH_BASELINE)
    if config.validation.split == "test" or "validation.split" in spec.space:
        raise ConfigError(f"{path}: validation.split: a search scores its trials on the validation split and never "
                          "sees the test set; the course's split: test cannot be searched")
    spec = _search_metric(path, spec, config)
    for key, values in spec.endpoints().items():
        for value in values:
            trial = copy.deepcopy(data)
            _set_dotted(trial, key, value, path, f"search.space.{key}")
            _validate(trial, path, f"search.space.{key} = {value!r}")
    if config.baseline not in (None, SEARCH_BASELINE):
        raise ConfigError(f"{path}: baseline: a search study compares its choice with the config as written "
                          f"('{SEARCH_BASELINE}'); leave baseline out")
    return Study(name=config.name, path=path, variants=[Variant(SEARCH_BASELINE, {}, config)], search=spec)


def _real_ranges(search: Any, data: dict[str, Any], path: Path) -> Any:
    """A range written with whole-number ends over a parameter that takes fractions ({low: 0, high: 1}
    over dropout or momentum) is the real range between them: read as whole numbers it would try only
    0 and 1. A parameter takes fractions when the config validates with one there (the range's middle)."""
    space = search.get("space") if isinstance(search, dict) else None
    if not isinstance(space, dict):
        return search
    out = dict(space)
    for key, values in space.items():
        if not (isinstance(values, dict) and all(type(values.get(end)) is int for end in ("low", "high"))):
            continue
        middle = (values["low"] + values["high"]) / 2
        trial = copy.deepcopy(data)
        try:
            _set_dotted(trial, key, middle if middle % 1 else middle + 0.5, path, key)
            _validate(trial, path, key)
        except ConfigError:
            continue  # whole numbers only (units, epochs), or a key the schema refuses: said later
        out[key] = {**values, "low": float(values["low"]), "high": float(values["high"])}
    return {**search, "space": out}


def _search_metric(path: Path, spec: SearchSpec, config: StudyBase) -> SearchSpec:
    """A search scores each trial by the validation figure that picks its best epoch: the study's
    selection rule. Left out, search.metric is that rule's metric; given, it must agree with it, or
    trials would be scored by one rule and their best epochs chosen by another."""
    selection = Rule.of(config.selection)
    if spec.metric is None:
        spec = spec.model_copy(update={"metric": selection.metric})
    searched = Rule.for_direction(spec.metric, spec.direction)
    if searched != selection:
        raise ConfigError(
            f"{path}: search.metric: '{spec.metric}' ({spec.direction}d) disagrees with selection: {{metric: "
            f"{selection.metric}, mode: {selection.mode}}}, which picks each trial's best epoch; a trial is scored "
            f"by the figure at that epoch, so the two must be one rule: leave search.metric out (it follows "
            f"selection), or set selection.metric: {spec.metric} with mode {searched.mode}")
    return spec


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
    elif isinstance(dataset, dict) and dataset.get("pixels") == "scaled":
        dataset.pop("pixels")  # and the pixels' default on text, which has none
    kind = KINDS.get(data.get("kind", "train"))
    if kind is None:
        raise ConfigError(f"kind '{data.get('kind')}' is not a study kind")
    try:
        return kind.Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(error_lines(exc, kind.Config))) from None


# --- the run count, from the lists' lengths ------------------------------------------------------


# --- expanding -----------------------------------------------------------------------------------


def _set_dotted(data: dict[str, Any], key: str, value: Any, path: Path, vid: str) -> None:
    try:
        dotted.put(data, key, value)
    except ValueError as exc:
        raise ConfigError(f"{path}: variant '{vid}': {exc}") from None


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
