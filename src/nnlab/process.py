"""What an nnlab process sets once: in the CLI's entry point and in every worker it spawns (a --jobs
process, a Ray task), never at import, so importing nnlab from a notebook changes nothing global;
and what runs that train side by side as threads of one process share (--executor threads)."""

from __future__ import annotations

import os
import sys
import threading


def set_up() -> None:
    """TensorFlow's C++ start-up chatter off the progress lines, and matplotlib writing files, never
    opening a window, so runs work on servers and in CI."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Read when matplotlib loads, so a command that draws nothing (`nnlab validate`) never loads it;
    # spawned workers inherit it.
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # loaded already (a worker unpickling its run first): switch now
        sys.modules["matplotlib"].use("Agg")


# --- runs side by side as threads (--executor threads) ---------------------------------------------

# Seeding a run and drawing its initial weights set and read process-wide generators (Python's,
# numpy's, Keras'): runs that train side by side as threads of one process take turns at it.
SEEDING = threading.RLock()
# Set by a thread pool that is stopping (Ctrl-C, an error): its runs in flight end at their next epoch.
STOPPING = threading.Event()
# Set while a thread pool runs: a run then leaves fd 2 alone (the pool has pointed it at one log).
THREADED = threading.Event()


class Stopped(BaseException):
    """A run ended by its pool's stop, left unfinished: not an Exception, so nothing records it as failed."""
