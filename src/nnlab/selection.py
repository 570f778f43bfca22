"""Pick the best epoch from a learning curve."""

from __future__ import annotations

import math

from .errors import NnlabError


def best_epoch(history: dict[str, list[float]], metric: str = "val_loss", mode: str = "min") -> int:
    """1-based epoch with the best value of `metric`; ties go to the earlier epoch, NaN never wins."""
    if metric not in history:
        raise NnlabError(f"selection.metric '{metric}' is not in the history; it has {sorted(history)}")
    values = history[metric]
    finite = [(v if mode == "min" else -v, i) for i, v in enumerate(values) if math.isfinite(v)]
    if not finite:
        raise NnlabError(f"{metric} has no finite value in any epoch: the run diverged")
    return min(finite)[1] + 1
