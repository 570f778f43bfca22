"""Where runs execute. Every executor takes `submit(function, *args)` and returns a
concurrent.futures.Future, so the runner and the search driver are written once for all of them:

    InlinePool(display)                   in this process, one run after another (the default)
    process_pool(jobs, display)           N spawned worker processes on this machine (--jobs N)
    ray_pool(address, cpus, gpus, display)   a task per run on a Ray cluster (--executor ray)

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
import queue as queue_module
import signal
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from . import process
from .errors import Fatal, MissingExtra, NnlabError

RAY_INSTALL = "--executor ray needs Ray, an optional extra: pip install -e '.[ray]' (or pip install 'ray>=2.40,<3')"


_EVENTS = None  # in a --jobs worker: the queue its events go to the CLI's display by


def _send_event(event: dict) -> None:
    _EVENTS.put(event)


def worker_environment(threads: int) -> dict[str, str]:
    """TensorFlow's thread counts for a worker, read when TensorFlow initialises (after this is set)."""
    return {"TF_NUM_INTRAOP_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1"}


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
    """`jobs` worker processes that share the cores: each gets cores // jobs TensorFlow threads, so N
    workers do not oversubscribe the machine. Spawned, not forked: TensorFlow is not fork-safe.

    Ctrl-C (or any error) stops everything at once, as it does without workers: the runs in flight
    stay unfinished, their locks go with their processes, and the next `nnlab run` redoes them."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    context = multiprocessing.get_context("spawn")
    events = context.SimpleQueue()  # no feeder thread: an event is in the pipe when put() returns
    reader = threading.Thread(target=_show_events, args=(events.get, display), daemon=True)
    reader.start()
    executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                   initializer=_worker_set_up, initargs=(worker_environment(threads), events, os.getpid()))
    try:
        yield _ProcessPool(executor, jobs, events, display)
    except BaseException:
        # Python < 3.14 has no terminate_workers(); shutdown() forgets the processes, so take them first.
        workers = list((getattr(executor, "_processes", None) or {}).values())
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


# --- Ray -----------------------------------------------------------------------------------------

PROBE_SECONDS = 3.0  # how long a cluster's port may take to accept a connection before it is refused
JOIN_SECONDS = 8  # how long Ray may try to join what accepted that connection


def _ray_task(environment: dict[str, str], function, *args):
    """What a Ray worker runs for one submitted call. Its progress events are all in the driver's
    queue before its result is, so the console reads as with the local executor."""
    _worker_set_up(environment)
    try:
        return function(*args)
    finally:
        for echo in (a for a in args if isinstance(a, _QueueEcho)):
            echo.sync()


class _QueueEcho:
    """A run's progress events, sent to the driver through a Ray queue (a worker on another node
    has no terminal of ours). Sent without waiting for the queue's answer: a round trip per epoch
    cost the runs ~40% of their time here; Ray keeps one caller's calls to an actor in order.

    A queue that is gone (its actor died) costs only progress lines: the run goes on and its result
    counts; the driver says once that lines were lost (_Lines)."""

    def __init__(self, queue):
        self.queue = queue

    def __call__(self, event: dict) -> None:
        with contextlib.suppress(Exception):
            self.queue.actor.put_nowait.remote(event)

    def sync(self) -> None:
        """Return once every event sent so far is in the queue (an actor answers one caller in order),
        or at once if the queue is gone."""
        import ray

        with contextlib.suppress(Exception):
            ray.get(self.queue.actor.qsize.remote(), timeout=60)


class _Lines:
    """The driver's end of the progress queue: it shows the events, and if the queue's actor dies it
    says so once (a warning) and stops reading; the runs are not affected."""

    def __init__(self, queue, display):
        self.queue, self.display = queue, display
        self.gone = False
        self._lock = threading.Lock()

    def lost(self, exc: BaseException) -> None:
        with self._lock:
            if self.gone:
                return
            self.gone = True
        self.display({"kind": "warning", "text": "the Ray queue carrying the runs' progress lines is gone "
                      f"({type(exc).__name__}): progress lines from the workers are lost from here on; "
                      "the runs go on and their results count"})

    def pending(self) -> int:
        if self.gone:
            return 0
        try:
            return self.queue.qsize()
        except Exception as exc:  # the actor died: nothing more will come
            self.lost(exc)
            return 0


class _RayPool:
    def __init__(self, ray, cpus: float, gpus: float, capacity: int, lines: _Lines, display):
        self._ray = ray
        self.capacity, self.display, self._lines = capacity, display, lines
        self.echo = _QueueEcho(lines.queue)
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
        """Wait until the events in the queue are shown (before the driver prints its own lines)."""
        while self._lines.pending():
            time.sleep(0.02)
        time.sleep(0.05)

    def lost(self, exc: BaseException) -> bool:
        errors = self._ray.exceptions
        return isinstance(exc, errors.RayError) and not isinstance(exc, errors.RayTaskError)

    def cancel_all(self) -> None:
        for ref in self._refs:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=True)


def _unreachable(address: str, why: str, port: str = "") -> NnlabError:
    port = f"{port} is" if port else "the port is"
    return NnlabError(f"no Ray cluster answers at --ray-address {address} ({why}): check that the cluster is running "
                      f"(`ray status` on its head node), that {port} the head's port (6379 by default, 10001 for "
                      "ray://) and that this machine can reach it")


def _host_and_port(address: str) -> tuple[str, str]:
    """Where a connection to the cluster at `address` goes: "auto" and localhost resolved as Ray
    resolves them (raises NnlabError if "auto" finds no cluster)."""
    if address.startswith("ray://"):  # the client protocol: its server listens on the head (10001)
        where = address.removeprefix("ray://").split("/")[0]
        host, _, port = where.rpartition(":") if where.rpartition(":")[2].isdigit() else (where, ":", "10001")
    else:
        try:
            from ray._private.services import canonicalize_bootstrap_address_or_die
        except ImportError:  # another Ray: take the address as written
            where = address
        else:
            try:
                where = canonicalize_bootstrap_address_or_die(address)
            except ValueError:
                where = ""  # not host:port: said below
            except ConnectionError as exc:  # "auto" found no cluster, or several
                reason = str(exc).split(". ")[0].rstrip(".")
                raise NnlabError(f"--ray-address {address}: {reason}; give the head's address instead (host:6379), "
                                 "or start a cluster with `ray start --head`") from None
        host, _, port = where.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise NnlabError(f"--ray-address {address} is not a Ray address: give auto, host:port (the head's port, 6379 "
                         "by default) or ray://host:port (10001 by default)")
    return host, port


def _probe(address: str) -> None:
    """Refuse, within PROBE_SECONDS, a cluster whose port nothing answers on: Ray itself retries for
    minutes, printing its retry lines."""
    host, port = _host_and_port(address)
    where = f"{host}:{port}" + ("" if f"{host}:{port}" in address else f", where Ray resolves {address}")
    try:
        socket.create_connection((host, int(port)), timeout=PROBE_SECONDS).close()
    except ConnectionRefusedError:
        raise _unreachable(address, f"connection refused at {where}", port) from None
    except TimeoutError:
        raise _unreachable(address, f"no answer within {PROBE_SECONDS:g} s at {where}", port) from None
    except socket.gaierror:
        raise _unreachable(address, f"unknown host {host}", port) from None
    except OSError as exc:
        raise _unreachable(address, f"{exc.strerror or exc} at {where}", port) from None


@contextlib.contextmanager
def _stderr_aside():
    """Ray's own C++ client logs its connection retries to the process's stderr (fd 2, below Python):
    they go to a scratch file while Ray connects; nnlab says what went wrong in one line."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as scratch:
            os.dup2(scratch.fileno(), 2)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


@contextlib.contextmanager
def _join_within(seconds: int):
    """Ray retries joining a cluster ~20 times a second apart; something answering at the address that is
    no Ray head (another service, a proxy) is refused sooner: Ray's own setting, unless the user set it."""
    name = "RAY_gcs_server_port_wait_time_s"
    if name in os.environ:
        yield
        return
    os.environ[name] = str(seconds)
    try:
        yield
    finally:
        os.environ.pop(name, None)


@contextlib.contextmanager
def ray_pool(address: str | None, cpus_per_run: float, gpus_per_run: float, display):
    """Runs as Ray tasks, each declaring `cpus_per_run` CPUs and `gpus_per_run` GPUs. `address`: a
    running cluster ("auto", "ray://head:10001", "head:6379"); None starts a local Ray for this command
    and stops it after. Paths must be absolute and shared by every node (the caller sees to that).

    A cluster nothing answers at is refused at once (one line, no Ray retry lines). The queue that
    carries progress lines lives on this (the driver's) node, so a lost worker node costs only the
    retries of the runs it held."""
    try:
        import ray
    except ImportError:
        raise MissingExtra(RAY_INSTALL) from None
    import logging

    started_here = address is None
    options = dict(address=address, num_cpus=os.cpu_count() if started_here else None, include_dashboard=False,
                   log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    if started_here:
        ray.init(**options)
    else:
        _probe(address)
        try:
            with _stderr_aside(), _join_within(JOIN_SECONDS):
                ray.init(**options)
        except Exception as exc:  # something answered, but no Ray cluster we can join
            with contextlib.suppress(Exception):
                ray.shutdown()
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise NnlabError(f"could not join the Ray cluster at --ray-address {address}: {reason} (check the address "
                             "and port with `ray status` on the head node, and that this machine runs the same Ray "
                             "and Python versions)") from None
    from ray.util.queue import Queue

    lines = _Lines(Queue(actor_options=_on_this_node(ray)), display)
    stop = threading.Event()
    printer = threading.Thread(target=_print_lines, args=(lines, stop), daemon=True)
    printer.start()
    cpus_total = ray.cluster_resources().get("CPU", 1)
    capacity = max(1, int(cpus_total // cpus_per_run)) if cpus_per_run else int(cpus_total)
    pool = _RayPool(ray, cpus_per_run, gpus_per_run, capacity, lines, display)
    try:
        yield pool
    except BaseException:
        pool.cancel_all()
        raise
    finally:
        stop.set()
        printer.join(timeout=5)
        ray.shutdown()


def _on_this_node(ray) -> dict:
    """The queue's actor on the driver's node, taking no CPU: a worker node that is lost must not take
    the progress lines (and with them the command) along."""
    options = {"num_cpus": 0}
    with contextlib.suppress(Exception):  # a Ray client (ray://) may not say which node it is on
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
    return options


def _print_lines(lines: _Lines, stop: threading.Event) -> None:
    while not lines.gone:
        stopping = stop.is_set()  # then one more quiet wait: an event sent just before stop still shows
        try:
            event = lines.queue.get(timeout=0.2)
        except queue_module.Empty:
            if stopping:
                return
        except Exception as exc:  # the queue's actor died: progress lines are lost, not runs
            lines.lost(exc)
        else:
            lines.display(event)
