"""Where runs execute. Every executor takes `submit(function, *args)` and returns a
concurrent.futures.Future, so the runner and the search driver are written once for all of them:

    InlinePool()                   in this process, one run after another (the default)
    process_pool(jobs)             N spawned worker processes on this machine (--jobs N)
    ray_pool(address, cpus, gpus)  a task per run on a Ray cluster (--executor ray)

Each has `echo`, the function a worker prints progress lines with (it must reach this console from
wherever the run executes), `settle()`, which returns once the lines sent so far are printed,
`capacity`, how many runs it trains at once, and `lost(exc)`, which says whether a failed future
means the worker itself died (the run is then recorded as failed here).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue as queue_module
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from .errors import NnlabError

RAY_INSTALL = "--executor ray needs Ray, an optional extra: pip install -e '.[ray]' (or pip install 'ray>=2.40,<3')"


def print_line(line: str) -> None:
    """A worker's progress line, straight to the terminal or pipe the workers share with the CLI: one
    write per line (atomic on a pipe below 4 KiB), so two workers' lines never splice mid-line."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:  # the reader is gone (a closed pipe): the line is lost, never the run
        pass


def worker_environment(threads: int) -> dict[str, str]:
    """TensorFlow's thread counts for a worker, read when TensorFlow initialises (after this is set)."""
    return {"TF_NUM_INTRAOP_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1"}


def _worker_set_up(environment: dict[str, str]) -> None:
    from .cli import process_set_up

    process_set_up()  # a worker is a new process: the same set-up as the CLI's
    # Ctrl-C reaches the whole process group; the CLI decides what stops, not each worker (TensorFlow
    # would turn the interrupt into an error and the run would be recorded as failed).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environment)


class InlinePool:
    """Runs each submitted call at once, in this process."""

    capacity = 1
    echo = staticmethod(print_line)

    def submit(self, function, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(*args))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future, as a pool would
            future.set_exception(exc)
        return future

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False

    def settle(self) -> None:
        """Nothing to wait for: lines are printed as they are written."""


class _ProcessPool:
    def __init__(self, executor: ProcessPoolExecutor, jobs: int):
        self._executor, self.capacity = executor, jobs
        self.echo = print_line

    def submit(self, function, *args) -> Future:
        return self._executor.submit(function, *args)

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False  # a dead process breaks the whole pool: that stops the command, as Ctrl-C does

    def settle(self) -> None:
        """Nothing to wait for: workers write their lines to the shared stdout themselves."""


@contextlib.contextmanager
def process_pool(jobs: int):
    """`jobs` worker processes that share the cores: each gets cores // jobs TensorFlow threads, so N
    workers do not oversubscribe the machine. Spawned, not forked: TensorFlow is not fork-safe.

    Ctrl-C (or any error) stops everything at once, as it does without workers: the runs in flight
    stay unfinished, their locks go with their processes, and the next `nnlab run` redoes them."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_set_up, initargs=(worker_environment(threads),))
    try:
        yield _ProcessPool(executor, jobs)
    except BaseException:
        # Python < 3.14 has no terminate_workers(); shutdown() forgets the processes, so take them first.
        workers = list((getattr(executor, "_processes", None) or {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        raise
    executor.shutdown(wait=True)


# --- Ray -----------------------------------------------------------------------------------------

def _ray_task(environment: dict[str, str], function, *args):
    """What a Ray worker runs for one submitted call. Its progress lines are all in the driver's
    queue before its result is, so the console reads as with the local executor."""
    _worker_set_up(environment)
    try:
        return function(*args)
    finally:
        for echo in (a for a in args if isinstance(a, _QueueEcho)):
            echo.sync()


class _QueueEcho:
    """A worker's progress lines, sent to the driver through a Ray queue (a worker on another node
    has no terminal of ours). Sent without waiting for the queue's answer: a round trip per epoch
    line cost the runs ~40% of their time here; Ray keeps one caller's calls to an actor in order."""

    def __init__(self, lines):
        self.lines = lines

    def __call__(self, line: str) -> None:
        self.lines.actor.put_nowait.remote(line)

    def sync(self) -> None:
        """Return once every line sent so far is in the queue (an actor answers one caller in order)."""
        import ray

        ray.get(self.lines.actor.qsize.remote())


class _RayPool:
    def __init__(self, ray, cpus: float, gpus: float, capacity: int, echo):
        self._ray = ray
        self.capacity, self.echo = capacity, echo
        self._refs = []
        # A worker that dies (killed, out of memory, its node lost) is retried once; an exception in
        # nnlab's own code is not (the run records it as failed and the suite goes on).
        self._task = ray.remote(_ray_task).options(num_cpus=cpus, num_gpus=gpus, max_retries=1, retry_exceptions=False)
        self._environment = worker_environment(max(1, int(cpus)))

    def submit(self, function, *args) -> Future:
        ref = self._task.remote(self._environment, function, *args)
        self._refs.append(ref)
        return ref.future()

    def settle(self) -> None:
        """Wait until the lines in the queue are printed (before the driver prints its own)."""
        while self.echo.lines.qsize():
            time.sleep(0.02)
        time.sleep(0.05)

    def lost(self, exc: BaseException) -> bool:
        errors = self._ray.exceptions
        return isinstance(exc, errors.RayError) and not isinstance(exc, errors.RayTaskError)

    def cancel_all(self) -> None:
        for ref in self._refs:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=True)


@contextlib.contextmanager
def ray_pool(address: str | None, cpus_per_run: float = 1, gpus_per_run: float = 0):
    """Runs as Ray tasks, each declaring `cpus_per_run` CPUs and `gpus_per_run` GPUs. `address`: a
    running cluster ("auto", "ray://head:10001", "head:6379"); None starts a local Ray for this command
    and stops it after. Paths must be absolute and shared by every node (the caller sees to that)."""
    try:
        import ray
    except ImportError:
        raise NnlabError(RAY_INSTALL) from None
    import logging

    started_here = address is None
    ray.init(address=address, num_cpus=os.cpu_count() if started_here else None, include_dashboard=False,
             log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    from ray.util.queue import Queue

    lines = Queue()
    stop = threading.Event()
    printer = threading.Thread(target=_print_lines, args=(lines, stop), daemon=True)
    printer.start()
    cpus_total = ray.cluster_resources().get("CPU", 1)
    capacity = max(1, int(cpus_total // cpus_per_run)) if cpus_per_run else int(cpus_total)
    pool = _RayPool(ray, cpus_per_run, gpus_per_run, capacity, _QueueEcho(lines))
    try:
        yield pool
    except BaseException:
        pool.cancel_all()
        raise
    finally:
        stop.set()
        printer.join(timeout=5)
        ray.shutdown()


def _print_lines(lines, stop: threading.Event) -> None:
    while True:
        stopping = stop.is_set()  # then one more quiet wait: a line sent just before stop still prints
        try:
            print_line(lines.get(timeout=0.2))
        except queue_module.Empty:
            if stopping:
                return
        except Exception:  # noqa: BLE001 - the queue's actor is gone with Ray: nothing more will come
            return
