"""The `bobyqa` strategy: the course's "MITIE approach, a good start then BOBYQA local search". The good
start is the config as written (the book's settings, say); from there Powell's BOBYQA fits a quadratic
model of the validation figure inside a trust region and moves where the model says is better, within
the space's bounds (nnlab.search.box: listed values by index, log ranges by log10).

dlib has BOBYQA in C++ (find_min_bobyqa) but not in its Python module; NLopt's LN_BOBYQA is Powell's
algorithm with the same bounds, and is deterministic: the same figures in the same order give the same
proposals. So, as with LIPO, nothing of the optimiser is stored: each proposal runs BOBYQA afresh from
the start, answers its first calls with the finished trials' figures in order (a failed trial's as the
worst finished), and the first point it asks about beyond them is the next trial. When BOBYQA
converges before the budget is spent, it restarts from the best point found (as Py-BOBYQA's restarts
do), with its first step again, so every trial of the budget is proposed. BOBYQA asks for one point at
a time: its trials run one after another (the driver proposes no batch).

    require()                                the optional extra, or one clear line
    start(spec, config)                      the config's own settings in the space, or a ConfigError
    next_params(spec, finished, start)       the settings to try next
"""

from __future__ import annotations

from typing import Any

from .. import dotted
from ..errors import ConfigError, MissingExtra
from ..optimizer_specs import OPTIMIZER_DEFAULTS
from .box import box, filled, from_x, to_x
from .spec import SearchSpec

INSTALL = "the bobyqa strategy needs NLopt's BOBYQA, an optional extra: pip install -e '.[bobyqa]'"
FIRST_STEP = 0.25  # of each coordinate's extent: a 4-value list moves one value, a log rate half a decade
SMALLEST_STEP = 1e-3  # of each extent: below this BOBYQA has converged, and restarts from its best point
MAX_RESTARTS = 1_000  # never reached: each restart spends at least one new trial


class _Ask(Exception):
    """BOBYQA asked about a point no finished trial answers: the proposal."""


def require() -> None:
    import importlib.util

    if importlib.util.find_spec("nlopt") is None:
        raise MissingExtra(INSTALL)


def start(spec: SearchSpec, config, path) -> dict[str, Any]:
    """The good start: the config's own value of each key of the space. Each must lie in the space, or
    BOBYQA would start outside the box it searches: checked before any trial trains."""
    data = config.model_dump(mode="json")
    point = {}
    for key, values in spec.space.items():
        value = dotted.get(data, key)
        if value is None and key.startswith("optimizer."):  # left to Keras: its default is the config's setting
            value = OPTIMIZER_DEFAULTS.get(data["optimizer"]["name"], {}).get(key.split(".", 1)[1])
        inside = (value in values) if isinstance(values, list) else (
            isinstance(value, (int, float)) and values.low <= value <= values.high)
        if not inside:
            where = f"one of {values}" if isinstance(values, list) else f"from {values.low} to {values.high}"
            raise ConfigError(f"{path}: search.space.{key}: the bobyqa strategy starts from the config's own settings, and "
                              f"{key} is {value!r}, outside the space ({where}); set it in the config to a value of the space")
        point[key] = value
    return point


def next_params(spec: SearchSpec, finished: list[tuple[dict[str, Any], float | None]], start_at: dict[str, Any]) -> dict[str, Any]:
    """The settings BOBYQA proposes after `finished` (in the order they were proposed), from `start_at`."""
    try:
        import nlopt
        import numpy as np
    except ImportError:
        raise MissingExtra(INSTALL) from None
    dims, lower, upper, _integer = box(spec)
    if not finished:
        return dict(start_at)  # the good start is the first trial
    answers = [value for _, value in filled(spec, finished)]
    sign = 1.0 if spec.direction == "minimize" else -1.0  # BOBYQA minimises
    calls: list[tuple[list[float], float]] = []  # every point asked so far, with its answer

    def objective(x, grad):
        k = len(calls)
        if k >= len(answers) or answers[k] is None:
            raise _Ask(list(x))
        calls.append((list(x), sign * answers[k]))
        return sign * answers[k]

    extent = np.array(upper) - np.array(lower)
    x0 = np.array([to_x(values, start_at[key]) for key, values in dims], dtype=float)
    for _ in range(MAX_RESTARTS):
        optimiser = nlopt.opt(nlopt.LN_BOBYQA, len(dims))
        optimiser.set_lower_bounds(np.array(lower, dtype=float))
        optimiser.set_upper_bounds(np.array(upper, dtype=float))
        optimiser.set_initial_step(FIRST_STEP * extent)
        optimiser.set_xtol_abs(SMALLEST_STEP * extent)
        optimiser.set_min_objective(objective)
        try:
            optimiser.optimize(x0)
        except _Ask as asked:
            return from_x(spec, dims, asked.args[0])
        x0 = np.array(min(calls, key=lambda call: call[1])[0])  # converged: restart from the best point
    raise AssertionError("BOBYQA asks for a new point within each restart")

