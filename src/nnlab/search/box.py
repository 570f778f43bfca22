"""A search space as a box of numbers, for the optimisers that search one (dlib's LIPO, BOBYQA):

    a list of values         its index, a whole number 0..n-1 (so a categorical is ordered by how it is listed)
    a whole-number range     itself (with step: the index of the lattice point)
    a real range             itself, or its log10 on a log scale (with step: the lattice index); a
                             whole-number range with log: searched on its whole numbers, not their log

A key with a single value is left out of the box and keeps that value.

    box(spec)               (dims, lower, upper, integer): the varying keys and their extents
    filled(spec, finished)  each finished trial's figure, a failed one's the worst finished (None before any)
    to_x(values, value)     a setting's coordinate;  from_x(spec, dims, x): the settings at a point
"""

from __future__ import annotations

import math
from typing import Any

from .spec import Range, SearchSpec


def box(spec: SearchSpec) -> tuple[list[tuple[str, Any]], list[float], list[float], list[bool]]:
    """The keys that vary (key, values), each one's low and high coordinate, and whether it is whole."""
    dims = [(key, values) for key, values in spec.space.items() if _width(values) > 0]
    lower = [0.0 if _indexed(v) else _scale(v, v.low) for _, v in dims]
    upper = [float(_width(v)) if _indexed(v) else _scale(v, v.high) for _, v in dims]
    integer = [_indexed(v) or v.integer for _, v in dims]
    return dims, lower, upper, integer


def filled(spec: SearchSpec, finished: list[tuple[dict[str, Any], float | None]]) -> list[tuple[dict[str, Any], float | None]]:
    """The finished trials with a failed or diverged one's figure replaced by the worst finished figure,
    so an optimiser replaying them steers away from it (None while no trial has a figure)."""
    scored = [value for _, value in finished if value is not None and math.isfinite(value)]
    worst = (max(scored) if spec.direction == "minimize" else min(scored)) if scored else None
    return [(params, value if value is not None and math.isfinite(value) else worst) for params, value in finished]


def from_x(spec: SearchSpec, dims: list[tuple[str, Any]], x) -> dict[str, Any]:
    """The settings at point `x` of the box (whole coordinates rounded), every key of the space in its order."""
    params = {key: _from_x(values, value) for (key, values), value in zip(dims, x)}
    fixed = {key: (values[0] if isinstance(values, list) else values.low) for key, values in spec.space.items() if _width(values) == 0}
    return {key: {**params, **fixed}[key] for key in spec.space}


def _indexed(values) -> bool:
    """Searched by index: a list of values, or a range with a step (its lattice)."""
    return isinstance(values, list) or values.step is not None


def _width(values) -> int | float:
    """The box's extent along this key: 0 for a single value (nothing to search)."""
    if isinstance(values, list):
        return len(values) - 1
    if values.step is not None:
        return int((values.high - values.low) // values.step)
    return values.high - values.low


def _scale(values: Range, value: float) -> float:
    """A real log range is searched on its log10; a whole-number one stays whole, as dlib takes it."""
    return math.log10(value) if values.log and not values.integer else float(value)


def to_x(values, value) -> float:
    if isinstance(values, list):
        return float(values.index(value))
    if values.step is not None:
        return float(round((value - values.low) / values.step))
    return _scale(values, value)


def _from_x(values, x: float):
    if isinstance(values, list):
        return values[int(round(x))]
    if values.step is not None:
        value = values.low + int(round(x)) * values.step
        return int(value) if values.integer else float(value)
    if values.integer:
        return int(min(max(round(x), values.low), values.high))
    value = 10 ** x if values.log else x
    return float(min(max(value, values.low), values.high))  # 10 ** log10(high) may round past high
