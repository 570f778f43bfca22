"""The `lipo` strategy: dlib's global optimiser (MaxLIPO with a trust-region refinement, the MITIE
approach combined: LIPO's Lipschitz upper bound picks where the best can still be, the trust region
polishes around the best found so far), driven ask-and-tell like Optuna's samplers.

dlib's optimiser state cannot be saved, so each proposal rebuilds it: every finished trial of the
search is replayed into a fresh `dlib.global_function_search`, seeded by the search's seed and the
trial's position in the budget (as the Optuna samplers are), and asked for the next point. A killed
search therefore resumes with exactly the proposals the uninterrupted one would have made.

How the space maps onto dlib's box (dlib handles whole numbers natively):
    a list of values         its index, a whole number 0..n-1 (so a categorical is ordered by how it is listed)
    a whole-number range     itself (with step: the index of the lattice point)
    a real range             itself, or its log10 on a log scale (with step: the lattice index); a
                             whole-number range with log: searched on its whole numbers, not their log
A trial that failed or diverged is replayed with the worst finished figure, so the bound steers away
from it; one stopped by pruning, with its best figure when stopped.

    next_params(spec, finished, position)   the settings to try at this position
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import MissingExtra
from .spec import Range, SearchSpec

INSTALL = ("the lipo strategy needs dlib's global optimiser, an optional extra: pip install -e '.[lipo]' "
           "(the dlib-bin wheels, no compiler needed)")
# dlib's estimate of the noise in the figure it maximises: a trial's validation loss moves by about
# 1% from seed to seed here, which is the scale below which two settings cannot be told apart.
RELATIVE_NOISE = 0.001


def require() -> None:
    """Raise MissingExtra, one clear line, when dlib is not installed (checked before anything trains)."""
    import importlib.util

    if importlib.util.find_spec("dlib") is None:
        raise MissingExtra(INSTALL)


def next_params(spec: SearchSpec, finished: list[tuple[dict[str, Any], float | None]], position: int) -> dict[str, Any]:
    """The settings dlib proposes after `finished` (each trial's settings and its figure, None where it
    failed), for the `position`-th trial of the budget."""
    try:
        import dlib
    except ImportError:
        raise MissingExtra(INSTALL) from None
    dims = [(key, values) for key, values in spec.space.items() if _width(values) > 0]
    lower = [0.0 if _indexed(v) else _scale(v, v.low) for _, v in dims]
    upper = [float(_width(v)) if _indexed(v) else _scale(v, v.high) for _, v in dims]
    integer = [_indexed(v) or v.integer for _, v in dims]
    sign = -1.0 if spec.direction == "minimize" else 1.0  # dlib maximises
    scored = [value for _, value in finished if value is not None and math.isfinite(value)]
    worst = (max(scored) if spec.direction == "minimize" else min(scored)) if scored else None
    evaluations = []
    for params, value in finished:
        if value is None or not math.isfinite(value):
            if worst is None:
                continue
            value = worst
        evaluations.append(dlib.function_evaluation([_to_x(values, params[key]) for key, values in dims], sign * value))
    optimiser = dlib.global_function_search([dlib.function_spec(lower, upper, integer)], [evaluations], RELATIVE_NOISE)
    optimiser.set_seed(spec.seed * 1_000_003 + position)
    x = list(optimiser.get_next_x().x)
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


def _to_x(values, value) -> float:
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
