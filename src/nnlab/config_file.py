"""Reading a study file, and the sizes checked before anything grows with them: the file's bytes, its
values with YAML's aliases expanded and its depth, and the runs its grid, variants and seeds ask for
(a slip in a grid can ask for millions; `--max-runs` raises the bound). config.load_study reads a
file through here and expands it only once these hold."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from . import yaml_strict
from .errors import ConfigError
from .search.spec import SearchSpec
from .specs import StudyBase

MAX_CONFIG_BYTES = 1024 * 1024  # the shipped configs are under 2 KB; PyYAML reads 1 MiB in a few seconds


# Values a config may hold with its aliases (*name) expanded. Written out, 1 MiB holds at most ~520,000
# ([1,1,...]), so only aliases get here: a few lines of nested ones stand for billions of values ("billion
# laughs"), which validation, the grid and error messages would otherwise walk one by one.
MAX_CONFIG_VALUES = 1_000_000


# The shipped configs nest at most 4 levels; the grid's ids, deepcopy and pydantic recurse once per level.
MAX_CONFIG_DEPTH = 16


def read_yaml(path: Path) -> dict[str, Any]:
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


def config_seeds(base: dict[str, Any]) -> Any:
    return base.get("seeds", StudyBase.model_fields["seeds"].default)


def override_seeds(overrides: dict[str, Any] | None) -> list[int] | None:
    """--seeds N or a suite's seeds: applied after the grid and the named variants, in every kind."""
    return (overrides or {}).get("seeds")


def seed_count(seeds: Any) -> int:
    return len(seeds) if isinstance(seeds, list) else 1  # anything but a list is refused by the schema after


def check_run_count(path: Path, named: list[tuple[str, dict[str, Any]]], grid: dict[str, list[Any]],
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
        counts = [seed_count(seeds) for seeds in grid["seeds"]]
        return cells // len(counts) * sum(counts), set(counts)
    count = seed_count(changes.get("seeds", config_seeds))
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


def check_search_run_count(path: Path, spec: SearchSpec, seeds: int, max_runs: int) -> None:
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
