"""The Ray executor: the same runs, keys and files as the local one; a worker that dies is retried
once, then its run is recorded as failed while the others finish; without Ray, one line says how
to install it. Each test starts a local Ray of 2 CPUs (a few seconds), or a cluster of a head and
worker nodes on this machine (ray.cluster_utils); an address nothing answers at is refused at once."""

import importlib.util
import json
import subprocess
import sys
import threading
import time

import psutil
import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main

# Not pytest.importorskip: that imports Ray (a second) while the fast tier is only being collected.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                                   reason="Ray is not installed (pip install -e '.[ray]')")]

NUMBERS = ("search_history.json", "retrain_history.json")
TIMINGS = ("wall_time_s", "seconds_per_epoch")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def metrics(folder):
    return {k: v for k, v in json.loads((folder / "metrics.json").read_text()).items() if k not in TIMINGS}


def test_without_ray_the_executor_says_how_to_install_it_in_one_line(tmp_path, write_config, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where the extra is not installed
    result = invoke("run", write_config(BASE), "--results", tmp_path, "--executor", "ray")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: --executor ray needs Ray, an optional extra: pip install -e '.[ray]' (or pip install 'ray>=2.40,<3')"]
    assert not (tmp_path / "tiny").exists()


def test_a_suite_manifest_may_choose_the_ray_executor(tmp_path, write_config, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    write_config(BASE)
    manifest = write_config("name: s\nseeds: 1\nexecutor: ray\nstudies: [study.yaml]\n", "suite.yaml")
    assert invoke("suite", manifest, "--results", tmp_path).exit_code == 2  # it asked for Ray
    assert invoke("suite", manifest, "--results", tmp_path, "--executor", "local").exit_code == 0  # the flag wins




def test_ray_gives_the_same_runs_as_the_local_executor(tmp_path, write_config):
    config = write_config(BASE + "seeds: [0, 1]\ngrid:\n  model.units: [8, 16]\n")
    assert invoke("run", config, "--results", tmp_path / "local").exit_code == 0
    result = invoke("run", config, "--results", tmp_path / "ray", "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert "on Ray (2 at a time)" in result.output and "tiny/units-16 seed 1: best epoch" in result.output
    runs = sorted((tmp_path / "local").glob("tiny/*/seed-*"))
    assert len(runs) == 4
    for local in runs:
        remote = tmp_path / "ray" / local.relative_to(tmp_path / "local")
        for name in NUMBERS:
            assert (local / name).read_bytes() == (remote / name).read_bytes(), local
        assert metrics(local) == metrics(remote)  # run keys included: a resume on either executor skips them
    again = invoke("run", config, "--results", tmp_path / "ray")  # the local executor resumes Ray's runs
    assert again.output.count("already complete (ok), skipped") == 4


def kill_workers(root, times: int, killed: list, stop: threading.Event) -> None:
    """SIGKILL the process training a run (the one holding its folder's lock): the first run seen,
    then the same run again on its retry, `times` times in all."""
    while len(killed) < times and not stop.is_set():
        for process in psutil.process_iter(["pid"]):
            try:
                locks = [f.path for f in process.open_files() if f.path.startswith(str(root)) and f.path.endswith("/.lock")
                         and f.path in (killed[:1] or [f.path])]
            except (psutil.Error, OSError):
                continue
            if locks and process.pid != psutil.Process().pid:
                process.kill()
                killed.append(locks[0])
                time.sleep(1.0)  # let Ray notice and resubmit before looking again
                break
        time.sleep(0.05)


@pytest.mark.parametrize("kills, failed", [(1, 0), (2, 1)])
def test_a_killed_worker_is_retried_once_and_the_suite_finishes(tmp_path, write_config, kills, failed):
    config = write_config(BASE.replace("epochs: 2", "epochs: 60") + "seeds: [0, 1, 2]\n")
    killed, stop = [], threading.Event()
    killer = threading.Thread(target=kill_workers, args=(tmp_path, kills, killed, stop), daemon=True)
    killer.start()
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path), "--executor", "ray",
               "--cpus-per-run", "2"]  # one run at a time
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    stop.set()
    killer.join()
    assert len(killed) == kills and len(set(killed)) == 1  # the same run, killed again on its retry
    runs = sorted((tmp_path / "tiny" / "default").glob("seed-*"))
    done = [r for r in runs if (r / "metrics.json").is_file()]
    assert len(done) == 3 - failed
    if failed:
        assert result.returncode == 1 and "its worker died twice" in result.stdout
        failure = json.loads((tmp_path / killed[0].removesuffix(".lock") / "failure.json").read_text())
        assert failure["status"] == "failed" and "died" in failure["traceback"]
    else:
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_search_on_ray_trains_several_trials_at_once(tmp_path, write_config):
    config = BASE + """\
search:
  strategy: random
  trials: 4
  space: {model.units: [4, 8, 16], optimizer.learning_rate: {low: 1.0e-3, high: 3.0e-2, log: true}}
"""
    result = invoke("run", write_config(config), "--results", tmp_path, "--executor", "ray")
    assert result.exit_code == 0, result.output
    found = json.loads((tmp_path / "tiny" / "search.json").read_text())
    assert [t["status"] for t in found["trials"]] == ["ok"] * 4
    lines = result.output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("[trial") and "model.units=" in line]  # proposed
    first_done = next(i for i, line in enumerate(lines) if line.startswith("[trial") and ": best epoch" in line)
    assert sum(i < first_done for i in starts) == 2  # two trials in flight on a 2-CPU Ray
    assert (tmp_path / "tiny" / "best" / "seed-0" / "metrics.json").is_file()


def test_an_unreachable_cluster_is_refused_at_once_in_one_line(tmp_path, write_config):
    """Ray itself retries for minutes, printing its GCS retry lines; nnlab refuses the address at once."""
    command = [sys.executable, "-m", "nnlab.cli", "run", str(write_config(BASE)), "--results", str(tmp_path),
               "--executor", "ray", "--ray-address", "127.0.0.1:1"]  # port 1: nothing listens there
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    seconds = time.monotonic() - start
    assert seconds < 15 and result.returncode in (1, 2), (seconds, result.stdout, result.stderr)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: no Ray cluster answers at --ray-address 127.0.0.1:1 (")
    assert "`ray status`" in result.stderr and "port" in result.stderr
    assert not (tmp_path / "tiny").exists()


def test_a_lost_node_costs_only_the_retries_of_its_runs(tmp_path, write_config):
    """A head without CPUs (the driver's node, as on many clusters) and one worker node, a second added
    once a run has finished; the first is removed once two have (it holds a run then, and the driver's
    queue if that is not pinned to the driver's node). Its run is retried on the other, the progress
    lines survive, and the command ends normally with its table."""
    from ray.cluster_utils import Cluster

    # Runs of a few seconds each: the test must act between two of them. A variant's seeds share one
    # trace, so the tests' two-epoch runs take a fraction of a second once the first has traced.
    config = write_config(BASE.replace("epochs: 2", "epochs: 150") + "seeds: [0, 1, 2]\ngrid:\n  model.units: [4, 8]\n")
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path / "results"),
               "--executor", "ray"]
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})  # nodes are added in the main thread
    try:
        first = cluster.add_node(num_cpus=1)
        with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
            driver = subprocess.Popen([*command, "--ray-address", cluster.address], stdout=out, stderr=err, text=True)
            done = lambda: len(list((tmp_path / "results").glob("tiny/*/seed-*/metrics.json")))
            for runs, change in ((1, lambda: cluster.add_node(num_cpus=1)), (2, lambda: cluster.remove_node(first))):
                while done() < runs and driver.poll() is None:
                    time.sleep(0.05)
                assert driver.poll() is None and done() == runs, "the runs went faster than the test"
                change()
            driver.wait(timeout=600)
    finally:
        cluster.shutdown()
    output = (tmp_path / "out").read_text()
    assert driver.returncode == 0, output + (tmp_path / "err").read_text()
    runs = sorted((tmp_path / "results" / "tiny").glob("*/seed-*"))
    assert len(runs) == 6 and all(json.loads((r / "metrics.json").read_text())["status"] == "ok" for r in runs)
    table = output[output.index("variant                  seed   status best epoch"):].splitlines()
    assert len(table) == 8 and all(" ok " in row for row in table[1:7]) and table[7].startswith("results: ")
    verify = invoke("verify", tmp_path / "results")
    assert verify.exit_code == 0, verify.output
