"""Where runs execute. Every executor takes `submit(function, *args)` and returns a
concurrent.futures.Future, so the runner and the search driver are written once for all of them:

    InlinePool(display)                   in this process, one run after another (the default)
    process_pool(jobs, display)           N spawned worker processes on this machine (--jobs N)
    thread_pool(jobs, display, log)       N runs side by side as threads of this process (--executor
                                          threads --jobs N): one TensorFlow for all of them
    ray_pool(address, cpus, gpus, display)   a task per run on a Ray cluster (--executor ray; nnlab.ray_executor)

Each has `echo`, the function a run sends its progress events with (nnlab.progress: they must reach
the display in this process from wherever the run executes), `display`, for this process's own lines,
`settle()`, which returns once the events sent so far are shown,
`capacity`, how many runs it trains at once, and `lost(exc)`, which says whether a failed future
means the worker itself died (the run is then recorded as failed here).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from . import process, results
from .errors import Fatal

_EVENTS = None  # in a --jobs worker: the queue its events go to the CLI's display by


def _send_event(event: dict) -> None:
    _EVENTS.put(event)


def worker_environment() -> dict[str, str]:
    """What a worker sets before TensorFlow initialises: one inter-op thread (its one run at a time
    needs no more). The intra-op threads, which decide the numbers, each run pins itself
    (process.use_threads), as a run in this process does."""
    return {"TF_NUM_INTEROP_THREADS": "1"}


def _worker_set_up(environment: dict[str, str], events=None, parent: int | None = None) -> None:
    global _EVENTS
    _EVENTS = events
    if parent is not None:  # a --jobs worker: it must not outlive the CLI (kill -9, SIGTERM)
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()

    process.set_up()  # a worker is a new process: the same set-up as the CLI's
    # Ctrl-C reaches the whole process group; the CLI decides what stops, not each worker (TensorFlow
    # would turn the interrupt into an error and the run would be recorded as failed).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environment)


def _exit_with_parent(parent: int) -> None:
    """A --jobs worker whose CLI died without stopping it (kill -9, SIGTERM) would train on, an
    orphan: it leaves as soon as its parent is gone (even before it started), its run unfinished
    and unlocked for the next."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class InlinePool:
    """Runs each submitted call at once, in this process."""

    capacity = 1

    def __init__(self, display):
        self.echo = self.display = display

    def submit(self, function, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(*args))
        except Fatal:
            raise  # stops the command here, before the calls after it are submitted (and would run)
        except Exception as exc:  # handed to whoever reads the future, as a pool would
            future.set_exception(exc)
        return future

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False

    def settle(self) -> None:
        """Nothing to wait for: lines are printed as they are written."""


class _ProcessPool:
    echo = staticmethod(_send_event)

    def __init__(self, executor: ProcessPoolExecutor, jobs: int, events, display):
        self._executor, self.capacity, self._events, self.display = executor, jobs, events, display

    def submit(self, function, *args) -> Future:
        return self._executor.submit(function, *args)

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False  # a dead process breaks the whole pool: that stops the command, as Ctrl-C does

    def settle(self) -> None:
        """A worker's events are in the queue before its result (SimpleQueue writes at once)."""
        while not self._events.empty():
            time.sleep(0.02)
        time.sleep(0.05)


@contextlib.contextmanager
def process_pool(jobs: int, display):
    """`jobs` worker processes, each training one run at a time with the run's own thread count (one by
    default: the numbers of a run in this process). Spawned, not forked: TensorFlow is not fork-safe.

    Ctrl-C (or any error) stops everything at once, as it does without workers: the runs in flight
    stay unfinished, their locks go with their processes, and the next `nnlab run` redoes them."""
    context = multiprocessing.get_context("spawn")
    events = context.SimpleQueue()  # no feeder thread: an event is in the pipe when put() returns
    reader = threading.Thread(target=_show_events, args=(events.get, display), daemon=True)
    reader.start()
    before = set(multiprocessing.active_children())  # a notebook's own processes are not the pool's
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_worker_set_up, initargs=(worker_environment(), events, os.getpid()))
    try:
        yield _ProcessPool(executor, jobs, events, display)
    except BaseException:
        # Python < 3.14 has no terminate_workers(), and shutdown() forgets the processes: take them first,
        # as the children multiprocessing started since the pool was made (its public view of them).
        workers = [child for child in multiprocessing.active_children() if child not in before]
        executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        raise
    else:
        executor.shutdown(wait=True)
    finally:
        # Closing the pipe ends the reader (EOF). Not a sentinel put(): that takes the queue's write
        # lock, which a worker terminated mid-put may hold forever (Ctrl-C hung the CLI so).
        events.close()
        reader.join(timeout=5)


def _show_events(get, display) -> None:
    try:
        while True:
            display(get())
    except (EOFError, OSError, ValueError, pickle.UnpicklingError):  # closed, or a worker cut off mid-event
        return


class _ThreadPool:
    def __init__(self, executor: ThreadPoolExecutor, jobs: int, display):
        self._executor, self.capacity = executor, jobs
        self.echo = self.display = display  # the displays take events from any thread (a lock)

    def submit(self, function, *args) -> Future:
        return self._executor.submit(function, *args)

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False

    def settle(self) -> None:
        """Nothing to wait for: events are shown as they are sent."""


@contextlib.contextmanager
def thread_pool(jobs: int, display, log: Path):
    """`jobs` runs side by side as threads of this process. One TensorFlow serves them all (its import
    once, its memory once: a second process would hold its own ~0.7 GB), its intra-op pool pinned to
    the runs' thread count (process.use_threads), so the numbers are those of any other executor.
    TensorFlow leaves Python's lock while it computes, so two runs at once nearly double what two
    cores get through.

    What the threads would otherwise share is taken in turns (seeding and the initial weights:
    process.SEEDING) or kept per thread (the compiled programs). TensorFlow's stderr goes into `log`
    for the pool's lifetime, not into each run's tensorflow.log: a file descriptor cannot be pointed
    at two runs' logs at once. Ctrl-C (or any error) stops the runs in flight at their next epoch,
    unfinished and unrecorded, as the other pools leave them."""
    executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nnlab-run")
    process.STOPPING.clear()
    process.THREADED.set()
    try:
        with contextlib.nullcontext() if os.environ.get("NNLAB_VERBOSE") else results.stderr_into(log):
            try:
                yield _ThreadPool(executor, jobs, display)
            except BaseException:
                process.STOPPING.set()
                executor.shutdown(wait=True, cancel_futures=True)
                raise
            else:
                executor.shutdown(wait=True)
    finally:
        process.THREADED.clear()
        process.STOPPING.clear()
