"""A study file's variants before validation: its named variants (variants:) and its grid (grid:), each
checked for shape, crossed into (id, dotted overrides) pairs, and the ids they make: a grid key's
label and a value's slug, as folder names and the report show them."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .spec_tables import NAME_PATTERN


def named_variants(variants: Any, path: Path) -> list[tuple[str, dict[str, Any]]]:
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
        if not re.fullmatch(NAME_PATTERN, name):
            raise ConfigError(f"{path}: variants[{i}].name: '{name}' may hold only letters, digits, '_', '.', '-'")
        named.append((name, {k: v for k, v in item.items() if k != "name"}))
    return named


def grid_of(grid: Any, path: Path) -> dict[str, list[Any]]:
    """The grid's dotted keys and their values, checked for shape only; {} without `grid:`."""
    if grid is None:
        return {}
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(f"{path}: grid: must be a non-empty mapping of dotted keys to lists of values")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}: grid.{key}: must be a non-empty list of values, got {values!r}")
    return grid


def cross(named: list[tuple[str, dict[str, Any]]], grid: dict[str, list[Any]],
              path: Path) -> list[tuple[str, dict[str, Any], str, tuple]]:
    """(id, dotted overrides, named variant's name, grid cell's values) of every variant."""
    cells: list[tuple[str, dict[str, Any], tuple]] = [("", {}, ())]
    if grid:
        labels = grid_labels(list(grid))
        cells = []
        for combo in itertools.product(*grid.values()):
            vid = "_".join(f"{label}-{slug(v)}" for label, v in zip(labels, combo))
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


def slug(value: Any) -> str:
    """A value as part of a variant id: [64, 32] -> 64x32 (widths), [relu, relu, softmax] -> relu-relu-softmax."""
    if isinstance(value, list):
        return ("-" if value and all(isinstance(v, str) for v in value) else "x").join(slug(v) for v in value)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return re.sub(r"[^A-Za-z0-9.-]+", "", text) or "none"


# A results folder is <study>/<variant>/seed-<n>: each name is one file name, which Linux file systems
# cap at 255 bytes (longer ones fail when the run's folder is made, after the data has loaded).
MAX_FILE_NAME_BYTES = 255


def check_file_names(path: Path, variants: list) -> None:
    """The study's name and each variant's id (config.Variant) fit a folder name, or ConfigError."""
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
