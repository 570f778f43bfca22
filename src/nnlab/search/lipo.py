"""The `lipo` strategy: dlib's global optimiser (MaxLIPO with a trust-region refinement, the MITIE
approach combined: LIPO's Lipschitz upper bound picks where the best can still be, the trust region
polishes around the best found so far), driven ask-and-tell like Optuna's samplers.

dlib's optimiser state cannot be saved, so each proposal rebuilds it: every finished trial of the
search is replayed into a fresh `dlib.global_function_search`, seeded by the search's seed and the
trial's position in the budget (as the Optuna samplers are), and asked for the next point. A killed
search therefore resumes with exactly the proposals the uninterrupted one would have made.

The space maps onto dlib's box as nnlab.search.box says (dlib handles whole numbers natively).
A trial that failed or diverged is replayed with the worst finished figure (box.filled), so the bound
steers away from it; one stopped by pruning, with its best figure when stopped.

    next_params(spec, finished, position)   the settings to try at this position
"""

from __future__ import annotations

from typing import Any

from ..errors import MissingExtra
from .box import box, filled, from_x, to_x
from .spec import SearchSpec

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
    dims, lower, upper, integer = box(spec)
    sign = -1.0 if spec.direction == "minimize" else 1.0  # dlib maximises
    evaluations = [dlib.function_evaluation([to_x(values, params[key]) for key, values in dims], sign * value)
                   for params, value in filled(spec, finished) if value is not None]
    optimiser = dlib.global_function_search([dlib.function_spec(lower, upper, integer)], [evaluations], RELATIVE_NOISE)
    optimiser.set_seed(spec.seed * 1_000_003 + position)
    x = list(optimiser.get_next_x().x)
    return from_x(spec, dims, x)
