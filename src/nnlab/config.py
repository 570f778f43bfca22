"""Study configs: read a YAML file, count the runs it asks for, expand its grid and named variants,
validate each variant against its kind's schema (nnlab/kinds/), and name the file and key of anything wrong.

Nothing here imports TensorFlow, so `nnlab validate` and `nnlab list` answer in
well under a second and a bad config is refused before any training starts.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from . import dotted, yaml_strict
from .errors import ConfigError
from .kinds import KINDS
from .same_runs import refuse_duplicate_runs, same_run_form
from .schema_errors import did_you_mean, error_lines
from .search.spec import SearchSpec
from .selection import Rule
from .specs import TEXT_DATASETS, StudyBase
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
            return (f"{', '.join(compare.strategies)} searches of {self.search.trials} trials from {len(compare.seeds)} "
                    f"search seeds each, sharing trials of the same settings, then each choice and the baseline x "
                    f"{len(self.seeds)} seeds")
        if self.search:
            return (f"a {self.search.strategy} search of {self.search.budget} trials, then the chosen settings and "
                    f"the baseline x {len(self.seeds)} seeds")
        chosen = f" (-k: {', '.join(v.id for v in self.selected)})" if self.patterns else ""
        return f"{len(self.selected)} variants x {len(self.seeds)} seeds{chosen}"


# --- loading -----------------------------------------------------------------------------------

_STUDY_KEYS = ("grid", "variants", "search")
SEARCH_BASELINE = "baseline"  # a search study's config as written, run beside the settings the search chose

# Sizes checked before any work that grows with them. A study asks for at most DEFAULT_MAX_RUNS runs
# unless --max-runs raises it: the course's largest study has 20 variants x 3 seeds, while three grid
# keys of 100 values (one slip from 10) ask for a million, and listing them took over a minute and
# 650 MB before `nnlab validate` could answer.
DEFAULT_MAX_RUNS = 10_000
MAX_CONFIG_BYTES = 1024 * 1024  # the shipped configs are under 2 KB; PyYAML reads 1 MiB in a few seconds
# Values a config may hold with its aliases (*name) expanded. Written out, 1 MiB holds at most ~520,000
# ([1,1,...]), so only aliases get here: a few lines of nested ones stand for billions of values ("billion
# laughs"), which validation, the grid and error messages would otherwise walk one by one.
MAX_CONFIG_VALUES = 1_000_000
# The shipped configs nest at most 4 levels; the grid's ids, deepcopy and pydantic recurse once per level.
MAX_CONFIG_DEPTH = 16


def command_line_overrides(subset: int | None = None, epochs: int | None = None, seeds: int | None = None,
                           threads: int | None = None) -> dict[str, Any]:
    """--subset N, --epochs N, --seeds N and --threads N as the dotted keys they set in every variant
    (of the kinds that have them): the first N examples, N epochs, seeds 0..N-1, N TensorFlow threads."""
    out: dict[str, Any] = {}
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
    raw = _read_yaml(path)
    base = {k: v for k, v in raw.items() if k not in _STUDY_KEYS}
    if "search" in raw:
        return _load_search_study(path, raw, base, overrides, max_runs)
    named, grid = _named_variants(raw.get("variants"), path), _grid(raw.get("grid"), path)
    _check_run_count(path, named, grid, "variants" in raw, _config_seeds(base), _override_seeds(overrides), max_runs)
    expanded = _expanded(named, grid, path)
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
    _check_file_names(path, variants)
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
        cell = "_".join(f"{labels[k]}-{_slug(combo[k])}" for k in range(len(labels)) if k not in changed)
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


# A results folder is <study>/<variant>/seed-<n>: each name is one file name, which Linux file systems
# cap at 255 bytes (longer ones fail when the run's folder is made, after the data has loaded).
MAX_FILE_NAME_BYTES = 255


def _check_file_names(path: Path, variants: list[Variant]) -> None:
    name = variants[0].config.name
    if len(name.encode()) > MAX_FILE_NAME_BYTES:
        raise ConfigError(f"{path}: name: {len(name.encode())} bytes, above the {MAX_FILE_NAME_BYTES} a folder name may "
                          f"have; the study's results folder is named after it: shorten it")
    for variant in variants:
        if len(variant.id.encode()) > MAX_FILE_NAME_BYTES:
            keys = ", ".join(variant.overrides) or "name"
            raise ConfigError(f"{path}: variant '{variant.id[:60]}...': its id is {len(variant.id.encode())} bytes, above the "
                              f"{MAX_FILE_NAME_BYTES} a folder name may have (made from {keys}); shorten the variant's name "
                              f"or its values")


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
    for key, value in (overrides or {}).items():
        _set_dotted(data, key, value, path, SEARCH_BASELINE)
    try:
        spec = SearchSpec.model_validate(_real_ranges(raw["search"], data, path))
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{path}: search.{line}" for line in error_lines(exc, SearchSpec))) from None
    seeds = _override_seeds(overrides)
    _check_search_run_count(path, spec, _seed_count(_config_seeds(base) if seeds is None else seeds), max_runs)
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
    kind = KINDS.get(data.get("kind", "train"))
    if kind is None:
        raise ConfigError(f"kind '{data.get('kind')}' is not a study kind")
    try:
        return kind.Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(error_lines(exc, kind.Config))) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a config file; give a .yaml file (e.g. {path / 'study.yaml'})")
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {size:,} bytes, above the limit of {MAX_CONFIG_BYTES:,} bytes (1 MiB) for a config "
                          f"file; a study's values fit in a few lines (grid:, variants:, search:)")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); save the file as "
                          f"UTF-8, as every shipped config is") from None
    try:
        raw = yaml_strict.load(text)
    except yaml_strict.Misread as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: malformed YAML{where}: {problem}") from None
    except RecursionError:  # PyYAML reads nested blocks recursively
        raise ConfigError(f"{path}: malformed YAML: nested deeper than a config can be") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a study config must be a YAML mapping of keys, got {type(raw).__name__}")
    _check_expanded_size(raw, path)
    return raw


def _check_expanded_size(raw: dict[str, Any], path: Path) -> None:
    """PyYAML gives every use of an alias the same object, so a billion-laughs file loads at once; the
    harm comes later, from whatever walks it: count what it stands for before anything does."""
    values, _ = _measure(raw, path, {}, set(), 1)
    if values > MAX_CONFIG_VALUES:
        raise ConfigError(f"{path}: holds {values:,} values once its YAML aliases (*name) are expanded, above the limit "
                          f"of {MAX_CONFIG_VALUES:,}; the shipped ones hold under 200")


def _measure(node: Any, path: Path, measured: dict[int, tuple[int, int]], open_nodes: set[int], depth: int) -> tuple[int, int]:
    """(values, levels) of `node` with each alias expanded where it is used: keys, values and containers,
    and how deeply they nest. Each shared object is measured once, so this costs only the objects there are."""
    if not isinstance(node, (dict, list)):
        return 1, 0
    if id(node) in open_nodes:
        raise ConfigError(f"{path}: an alias (*name) stands inside the node it names; a config must be a tree of values")
    if id(node) not in measured:
        if depth > MAX_CONFIG_DEPTH:  # stop before Python's own recursion limit does
            raise _too_deep(path)
        open_nodes.add(id(node))
        children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
        children_measured = [_measure(child, path, measured, open_nodes, depth + 1) for child in children]
        measured[id(node)] = (1 + sum(v for v, _ in children_measured),
                              1 + max((levels for _, levels in children_measured), default=0))
        open_nodes.discard(id(node))
    if depth - 1 + measured[id(node)][1] > MAX_CONFIG_DEPTH:  # a shared node measured higher up may sit deeper here
        raise _too_deep(path)
    return measured[id(node)]


def _too_deep(path: Path) -> ConfigError:
    return ConfigError(f"{path}: lists and mappings nested more than {MAX_CONFIG_DEPTH} levels deep; the shipped "
                       f"configs nest at most 4 (search: space: <key>: {{low, high}})")


# --- the run count, from the lists' lengths ------------------------------------------------------

def _config_seeds(base: dict[str, Any]) -> Any:
    return base.get("seeds", StudyBase.model_fields["seeds"].default)


def _override_seeds(overrides: dict[str, Any] | None) -> list[int] | None:
    """--seeds N or a suite's seeds: applied after the grid and the named variants, in every kind."""
    return (overrides or {}).get("seeds")


def _seed_count(seeds: Any) -> int:
    return len(seeds) if isinstance(seeds, list) else 1  # anything but a list is refused by the schema after


def _check_run_count(path: Path, named: list[tuple[str, dict[str, Any]]], grid: dict[str, list[Any]],
                     has_named: bool, config_seeds: Any, override_seeds: list[int] | None, max_runs: int) -> None:
    """Named variants x grid cells, each with the seeds it will run, counted exactly without listing them."""
    runs, seed_counts = 0, set()
    for _, changes in named:
        variant_runs, counts = _runs_of_named(changes, grid, config_seeds, override_seeds)
        runs += variant_runs
        seed_counts |= counts
    if runs > max_runs:
        raise ConfigError(_too_many_runs(path, len(named) if has_named else 0, grid, seed_counts, runs, max_runs))


def _runs_of_named(changes: dict[str, Any], grid: dict[str, list[Any]], config_seeds: Any,
                   override_seeds: list[int] | None) -> tuple[int, set[int]]:
    """Runs of one named variant over the grid's cells, and the seed counts they run with. A cell's
    seeds are, the last applied first: --seeds or the suite's, the grid's, the named variant's, the config's."""
    cells = math.prod(len(values) for values in grid.values())
    if override_seeds is not None:
        return cells * len(override_seeds), {len(override_seeds)}
    if "seeds" in grid:
        counts = [_seed_count(seeds) for seeds in grid["seeds"]]
        return cells // len(counts) * sum(counts), set(counts)
    count = _seed_count(changes.get("seeds", config_seeds))
    return cells * count, {count}


def _too_many_runs(path: Path, named: int, grid: dict[str, list[Any]], seed_counts: set[int], runs: int,
                   max_runs: int) -> str:
    variants = max(named, 1) * math.prod(len(values) for values in grid.values())
    parts = {"variants": f"{named:,} named" if named else "",
             "grid": " x ".join(f"{len(values):,}" for values in grid.values()) + " values" if grid else ""}
    key = " x ".join(k for k, part in parts.items() if part) or "seeds"
    what = f"{' x '.join(part for part in parts.values() if part)} = " if grid else ""
    with_seeds = f" x {_seeds(next(iter(seed_counts)))}" if len(seed_counts) == 1 else " with their seeds"
    return (f"{path}: {key}: {what}{variants:,} variant{'s' * (variants != 1)}{with_seeds} = {runs:,} runs, above the "
            f"limit of {max_runs:,} runs; raise it with --max-runs, or explore a large space with search: and a trial "
            f"budget (docs/search.md)")


def _seeds(count: int) -> str:
    return f"{count:,} seed{'s' * (count != 1)}"


def _check_search_run_count(path: Path, spec: SearchSpec, seeds: int, max_runs: int) -> None:
    """A search runs its trials, then the chosen settings and the config as written over every seed."""
    runs = spec.all_trials + spec.tested * seeds
    if runs <= max_runs:
        return
    if spec.compare:
        raise ConfigError(f"{path}: search.compare: {len(spec.searches())} searches x {spec.trials:,} trials + "
                          f"{spec.tested} tested variants x {_seeds(seeds)} = {runs:,} runs, above the limit of "
                          f"{max_runs:,} runs; raise it with --max-runs, or compare fewer strategies or seeds")
    if spec.budget == spec.trials:
        key, trials = "search.trials", f"{spec.budget:,} trials"
    else:
        key, trials = "search.space", f"a grid of {' x '.join(f'{n:,}' for n in spec.grid_lengths())} values = {spec.budget:,} trials"
    raise ConfigError(f"{path}: {key}: {trials} + 2 x {_seeds(seeds)} (the chosen settings and the baseline, tested) = "
                      f"{runs:,} runs, above the limit of {max_runs:,} runs; raise it with --max-runs, or give the "
                      f"search a smaller budget (search.trials)")


# --- expanding -----------------------------------------------------------------------------------

def _named_variants(variants: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(name, dotted overrides) of each named variant; one unnamed, unchanged variant without `variants:`."""
    if variants is None:
        return [("", {})]
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
    return named


def _grid(grid: Any, path: Path) -> dict[str, list[Any]]:
    """The grid's dotted keys and their values, checked for shape only; {} without `grid:`."""
    if grid is None:
        return {}
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{path}: grid: must be a non-empty mapping of dotted keys to lists of values")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: grid.{key}: must be a non-empty list of values, got {values!r}")
    return grid


def _expanded(named: list[tuple[str, dict[str, Any]]], grid: dict[str, list[Any]],
              path: Path) -> list[tuple[str, dict[str, Any], str, tuple]]:
    """(id, dotted overrides, named variant's name, grid cell's values) of every variant."""
    cells: list[tuple[str, dict[str, Any], tuple]] = [("", {}, ())]
    if grid:
        labels = grid_labels(list(grid))
        cells = []
        for combo in itertools.product(*grid.values()):
            vid = "_".join(f"{label}-{_slug(v)}" for label, v in zip(labels, combo))
            cells.append((vid, dict(zip(grid, combo)), combo))
    out = [("_".join(p for p in (n, c) if p) or "default", {**nov, **cov}, n, combo)
           for n, nov in named for c, cov, combo in cells]
    dupes = sorted(vid for vid, uses in Counter(vid for vid, *_ in out).items() if uses > 1)
    if dupes:
        raise ConfigError(f"{path}: variant ids repeat: {', '.join(dupes)}; give each variant a distinct name")
    return out


def grid_labels(keys: list[str]) -> list[str]:
    """Last segment of each dotted key, or the whole key where last segments would collide."""
    last = [k.split(".")[-1] for k in keys]
    return [lst if last.count(lst) == 1 else k.replace(".", "-") for k, lst in zip(keys, last)]


def _slug(value: Any) -> str:
    """A value as part of a variant id: [64, 32] -> 64x32 (widths), [relu, relu, softmax] -> relu-relu-softmax."""
    if isinstance(value, list):
        return ("-" if value and all(isinstance(v, str) for v in value) else "x").join(_slug(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9.-]+", "", text) or "none"


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
