"""What an nnlab process sets once: in the CLI's entry point and in every worker it spawns (a --jobs
process, a Ray task), never at import, so importing nnlab from a notebook changes nothing global;
and what runs that train side by side as threads of one process share (--executor threads)."""

from __future__ import annotations

import os
import sys
import threading

from .errors import Fatal


def set_up() -> None:
    """TensorFlow's C++ start-up chatter off the progress lines, and matplotlib writing files, never
    opening a window, so runs work on servers and in CI."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # Read when matplotlib loads, so a command that draws nothing (`nnlab validate`) never loads it;
    # spawned workers inherit it.
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # loaded already (a worker unpickling its run first): switch now
        sys.modules["matplotlib"].use("Agg")


# --- the thread count every run computes with ----------------------------------------------------

_THREADS_LOCK = threading.Lock()
_threads: int | None = None  # the TensorFlow thread count this process is pinned to, once a run set it


def use_threads(threads: int) -> None:
    """Pin TensorFlow's intra-op thread pool (the threads one operation's sums are split across) to
    `threads`, once per process, before TensorFlow starts: a layer's sums split across a different
    number of threads add in another order, and the last digits of a run follow (TensorFlow's own
    determinism holds for a fixed pool size only). So every run computes with the thread count its
    config says (`threads:`, 1 by default) whatever --jobs or the executor, and parallelism comes
    from runs side by side. The inter-op pool (which operations run at once) changes no number.

    A process whose TensorFlow already started with another count cannot change it: errors.Fatal
    says so (a notebook that ran TensorFlow first; two thread counts in one command)."""
    global _threads
    with _THREADS_LOCK:
        if _threads == threads:
            return
        if _threads is not None:
            raise Fatal(f"this process computes with {_threads} TensorFlow thread(s) already and cannot switch to "
                        f"{threads}: run studies with another `threads:` in a command of their own")
        if "tensorflow" not in sys.modules:  # read when TensorFlow starts, in this process and any it spawns
            os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(threads)
        else:
            import tensorflow as tf

            try:
                tf.config.threading.set_intra_op_parallelism_threads(threads)
            except RuntimeError:
                raise Fatal(f"TensorFlow started in this process before nnlab could set its thread count to "
                            f"{threads} (a notebook that ran TensorFlow first): restart it and run nnlab first, or "
                            "run with jobs=2 or more (worker processes of their own)") from None
        _threads = threads


def pinned_threads() -> int | None:
    """The thread count use_threads pinned this process to (None before any run)."""
    return _threads


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
