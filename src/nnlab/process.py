"""What an nnlab process sets once: in the CLI's entry point and in every worker it spawns (a --jobs
process, a Ray task), never at import, so importing nnlab from a notebook changes nothing global."""

from __future__ import annotations

import os
import sys


def set_up() -> None:
    """TensorFlow's C++ start-up chatter off the progress lines, and matplotlib writing files, never
    opening a window, so runs work on servers and in CI."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Read when matplotlib loads, so a command that draws nothing (`nnlab validate`) never loads it;
    # spawned workers inherit it.
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # loaded already (a worker unpickling its run first): switch now
        sys.modules["matplotlib"].use("Agg")
