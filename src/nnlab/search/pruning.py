"""Pruning a trial from its learning curve with Optuna's own pruner, inside the worker that trains it.

Only the search's driver writes the Optuna storage (SQLite breaks with several writers), so a worker
cannot report to it epoch by epoch. Instead the driver hands each trial a snapshot of the trials that
had finished when it started (their per-epoch figures), and the worker asks Optuna's pruner, over an
in-memory copy of that snapshot, after every epoch. Run in order, a trial sees exactly what
`study.optimize` would have shown it; run several at once, it does not see the ones beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..selection import Rule
from .spec import Pruning


@dataclass(frozen=True)
class FinishedTrial:
    """What the pruner reads of a finished trial: its state, objective and figure per epoch."""

    state: str  # COMPLETE | PRUNED
    value: float | None
    intermediate: dict[int, float]


@dataclass(frozen=True)
class PruneCheck:
    """Called after each epoch with the trial's history; True means stop: the trial is hopeless."""

    rule: Pruning
    direction: str
    metric: str
    finished: tuple[FinishedTrial, ...]

    def __call__(self, history: dict[str, list[float]]) -> bool:
        import optuna  # in the worker, only when a trial is pruned (module docstring of search.driver)
        from optuna.trial import TrialState, create_trial

        if not hasattr(self, "_trial"):
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.create_study(direction=self.direction, pruner=optuna.pruners.PercentilePruner(
                self.rule.percentile, n_startup_trials=self.rule.startup_trials, n_warmup_steps=self.rule.warmup_epochs))
            study.add_trials([create_trial(state=TrialState[t.state], value=t.value, intermediate_values=t.intermediate)
                              for t in self.finished])
            object.__setattr__(self, "_trial", study.ask())
        values = Rule.for_direction(self.metric, self.direction).running_best(history[self.metric])
        epoch = len(values)
        if not math.isfinite(values[-1]):
            return False  # nothing finite yet: a diverging trial ends by itself
        self._trial.report(values[-1], epoch)
        return self._trial.should_prune()
