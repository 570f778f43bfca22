"""The Ray executor (`--executor ray`): a Ray task per run, on a cluster or a local Ray, behind the same
`submit()` as the local pools in nnlab.executors. A cluster nothing answers at is refused at once; the
queue that carries progress lines lives on the driver's node, so a lost worker node costs only the
retries of the runs it held.

Ray is an optional extra (`pip install nnlab[ray]`): it is imported in the functions that use it,
so without it only `--executor ray` fails, with one line saying how to install it."""

from __future__ import annotations

import contextlib
import os
import queue as queue_module
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import Future

from .errors import MissingExtra, NnlabError
from .executors import _worker_set_up, worker_environment

RAY_INSTALL = "--executor ray needs Ray, an optional extra: pip install -e '.[ray]' (or pip install 'ray>=2.40,<3')"
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
        self._environment = worker_environment()

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
