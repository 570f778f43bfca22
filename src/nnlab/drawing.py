"""A run's figure drawn off its critical path: on a thread of its own, while the run goes on.

    figure = drawing.in_background(plots.learning_curves, search, best, title)   # a Future of PNG bytes
    ... the retrain trains ...
    png = figure.result()                                                        # before the record is written
"""

from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from matplotlib.figure import Figure


def png(fig: Figure) -> bytes:
    """A figure laid out by its own margins (learning_curves), as PNG: one draw, no tight bounding box."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


_DRAWING: list[ThreadPoolExecutor] = []  # the drawing thread, started by the first in_background


def in_background(draw: Callable[..., Figure], *args) -> Future:
    """The PNG of `draw(*args)`, drawn on a thread of its own while the caller goes on (a run draws
    its search curves during its retrain; TensorFlow leaves Python's lock while it computes): a
    Future of the bytes, which the run waits for before it writes its record. `draw` must not use
    pyplot, whose figure registry is not thread-safe."""
    if not _DRAWING:
        _DRAWING.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnlab-figure"))
    return _DRAWING[0].submit(lambda: png(draw(*args)))
