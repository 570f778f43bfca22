"""How a search proposes its next settings: the grid in its order, the guesses in theirs, or from the
settings told so far Optuna's sampler (random, TPE), dlib's LIPO (nnlab.search.lipo) or NLopt's BOBYQA
(nnlab.search.bobyqa)."""

from __future__ import annotations

import itertools
import math
import random

from .. import results
from ..config import Study, search_variant
from . import bobyqa, lipo
from .spec import Range, SearchSpec, trial_id
from .storage import COUNTED


def ask(search, study: Study, spec: SearchSpec, position: int):
    """The settings of the budget's `position`-th trial, from a sampler seeded by the search's seed
    and that position (not Optuna's trial number, which interrupted trials also take), so a resumed
    search proposes what the uninterrupted one would have."""
    import optuna

    search.sampler = _sampler(spec, position)
    waiting = search.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,))
    if spec.strategy == "grid" and not waiting:  # a point queued again after an interruption goes first
        search.enqueue_trial(_next_grid_point(search, spec))
    if spec.strategy == "lipo" and not waiting:
        search.enqueue_trial(lipo.next_params(spec, _told(search), position))
    if spec.strategy == "guess" and not waiting:  # the hand-picked settings, in their order
        search.enqueue_trial(spec.guesses[position])
    if spec.strategy == "bobyqa" and not waiting:
        search.enqueue_trial(bobyqa.next_params(spec, _told(search), bobyqa.start(spec, study.variants[0].config, study.path)))
    trial = search.ask(_distributions(spec))
    variant = search_variant(study, trial_id(trial.params), trial.params)
    trial.set_user_attr("run", f"{results.TRIALS}/{variant.id}")
    return trial, variant


def _told(search) -> list[tuple[dict, float | None]]:
    """Every trial that spent the budget: its settings and its figure (a pruned one's best when
    stopped; None where it failed or diverged)."""
    out = []
    for t in search.get_trials(deepcopy=False):
        if t.user_attrs.get("status") not in COUNTED or not t.params:
            continue
        value = t.value if t.state.name == "COMPLETE" else (
            t.intermediate_values[t.last_step] if t.state.name == "PRUNED" and t.last_step is not None else None)
        out.append((t.params, value))
    return out


def _next_grid_point(search, spec: SearchSpec) -> dict:
    """The first point of the grid that no trial has taken, in the order `grid:` would list it, or
    (grid_order: shuffled) in an order drawn from the search seed. (Optuna's GridSampler ends a search
    with study.stop(), which only optimize() may call.)"""
    taken = [t.params for t in search.get_trials(deepcopy=False)
             if t.user_attrs.get("status") in COUNTED or t.state.name in ("RUNNING", "WAITING")]
    grid = spec.grid()
    if spec.grid_order == "shuffled":
        # A random order of the grid's points without listing the grid: the first `budget` of a seeded
        # sample of its indices (random.sample draws from a range without building it), each index
        # read as one value per key.
        lengths = [len(values) for values in grid.values()]
        order = random.Random(spec.seed).sample(range(math.prod(lengths)), spec.budget)
        points = (_grid_point(grid, lengths, index) for index in order)
    else:
        points = (dict(zip(grid, point)) for point in itertools.product(*grid.values()))
    for params in points:
        if params not in taken:
            return params
    raise AssertionError("the budget never exceeds the grid's size")


def _grid_point(grid: dict[str, list], lengths: list[int], index: int) -> dict:
    """The grid's point of this index, in the order itertools.product lists them (the last key fastest)."""
    point = {}
    for key, length in reversed(list(zip(grid, lengths))):
        index, k = divmod(index, length)
        point[key] = grid[key][k]
    return {key: point[key] for key in grid}


def _sampler(spec: SearchSpec, position: int):
    import optuna

    seed = spec.seed * 1_000_003 + position
    if spec.strategy in ("random", "lipo", "guess", "bobyqa"):  # all but random queue their point; the sampler fills nothing
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=spec.startup_trials)


def _distributions(spec: SearchSpec) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if spec.strategy == "grid":
        return {k: CategoricalDistribution(v) for k, v in spec.grid().items()}
    out = {}
    for key, values in spec.space.items():
        if not isinstance(values, Range):
            out[key] = CategoricalDistribution(values)
        elif values.integer:
            out[key] = IntDistribution(values.low, values.high, log=values.log, step=values.step or 1)
        else:
            out[key] = FloatDistribution(float(values.low), float(values.high), log=values.log, step=values.step)
    return out
