"""Crash torture: kill nnlab with SIGKILL at random moments, rerun, and check nothing is lost.

    python tests/crash_torture.py --kills 200        # make torture (36 minutes here, CI beside it)
    python tests/crash_torture.py --kills 6          # what CI runs (tests/test_torture.py)

The way SQLite and PostgreSQL test that a crash at any instant leaves a consistent store: a tiny
suite (two training studies on the bundled Reuters sample, two seeds each, and the learning-rate
demo) and its report are run once unbroken, for reference. Then, over and over, into an empty
results folder: `nnlab suite`, then `nnlab report`, each killed with SIGKILL (its whole process
group) at a random moment, and run again until both finish. Half the kills come from outside at a
random time of the command's reference duration (start-up, training, summaries, report, whatever
it is doing then); the other half at a random write: the process kills itself just before one of
the three steps of a file's write (fsync of the data, the rename, the fsync of the folder), so
kills inside the few milliseconds of writing are as common as the others.

After every kill `nnlab verify` must be clean, and no file may have been moved aside as damaged.
When both commands have finished, every file under the results folder must be byte-identical to the
unbroken run's. To make "byte-identical" meaningful for files that record the wall clock (a run's
wall time and seconds per epoch, provenance's start and end, the report's date), every command of
the torture, the reference included, runs with nnlab's clock readings and the checkout's git state
frozen (`--child` below); the training itself is untouched. Temporary files a kill left beside study or report files (the next
write replaces the file, never the temporary) are counted and left out of the comparison.

The search (Optuna) is not part of the suite: a search killed mid-trial records that trial as
interrupted in its storage, which an unbroken search never does (tests/test_search.py covers its
resumption instead).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = """\
name: {name}
description: torture study {name}
dataset: {{name: reuters, num_words: 1000, sample: true}}
validation: {{split: first, size: 50}}
model: {{hidden_layers: 1, units: 8}}
loss: categorical_crossentropy
epochs: 3
batch_size: 64
grid:
  model.units: [8, 16]
"""
SUITE = """\
name: torture
seeds: 2
studies: [units_a.yaml, units_b.yaml, lr_decay.yaml]
"""
LR_DECAY = """\
name: lr_decay
kind: lr_decay_demo
epochs: 8
variants:
  - {name: decay, decay_rate: 0.9}
  - {name: constant, decay_rate: 1.0}
"""
COMMANDS = (["suite", "torture.yaml", "--results", "results"], ["report", "--results", "results"])
IGNORED = (".lock", "tensorflow.log")
STEPS = ("fsync of the data", "rename", "fsync of the folder")
GIT_STATE = "{}"  # the checkout's commit and dirtiness when the torture began (set by torture())


# --- the child: nnlab with its clock frozen and a kill switch at the k-th write step -------------

def child(argv: list[str]) -> None:
    """Run nnlab's CLI with `argv`. TORTURE_KILL_AT=k: SIGKILL this process just before the k-th
    write step under the results folder (after noting which in TORTURE_NOTE). TORTURE_COUNT: write
    the number of write steps there at exit (the reference run)."""
    import atexit
    import datetime as dt
    import types

    import nnlab.kinds.activation_gallery.run
    import nnlab.kinds.lr_decay_demo.run
    import nnlab.kinds.train.run
    import nnlab.kinds.xor.run
    import nnlab.provenance
    import nnlab.report
    import nnlab.training
    from nnlab.cli import main

    frozen = types.SimpleNamespace(time=lambda: 0.0, perf_counter=lambda: 0.0)
    for module in (nnlab.kinds.train.run, nnlab.kinds.xor.run, nnlab.kinds.lr_decay_demo.run,
                   nnlab.kinds.activation_gallery.run, nnlab.training):
        module.time = frozen
    nnlab.provenance.now = lambda: "2026-01-01T00:00:00+00:00"
    # The checkout's state as the torture began: editing the code while it runs must not count as a difference.
    nnlab.provenance.git_state = lambda: json.loads(os.environ["TORTURE_GIT"])

    class FrozenDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2026, 1, 1, tzinfo=tz or dt.timezone.utc)

    nnlab.report.dt = types.SimpleNamespace(datetime=FrozenDatetime, timedelta=dt.timedelta, timezone=dt.timezone)

    root = str(Path("results").absolute())
    kill_at, steps = int(os.environ.get("TORTURE_KILL_AT", "0")), [0]

    def step(kind: int, path: str) -> None:
        if not path.startswith(root):
            return
        steps[0] += 1
        if steps[0] == kill_at:
            Path(os.environ["TORTURE_NOTE"]).write_text(json.dumps({"step": STEPS[kind], "path": path}))
            os.kill(os.getpid(), signal.SIGKILL)

    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        step(2 if os.path.isdir(path) else 0, path)
        return real_fsync(fd)

    def replace(source, target, **kwargs):
        step(1, os.path.abspath(target))
        return real_replace(source, target, **kwargs)

    os.fsync, os.replace = fsync, replace
    if os.environ.get("TORTURE_COUNT"):
        atexit.register(lambda: Path(os.environ["TORTURE_COUNT"]).write_text(str(steps[0])))
    main(argv, prog_name="nnlab")


# --- the harness ---------------------------------------------------------------------------------

def launch(folder: Path, command: list[str], extra_env: dict[str, str], kill_after: float | None) -> tuple[int, float]:
    """Run one nnlab command in `folder` (its own process group); SIGKILL the group after
    `kill_after` seconds if given. Its exit status (-9: killed) and duration."""
    env = {**os.environ, "NNLAB_CACHE_DIR": str(folder.parent / "cache"), "TORTURE_GIT": GIT_STATE, **extra_env}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--child", *command], cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"nnlab {' '.join(command)} failed ({proc.returncode}):\n{stderr.decode()[-3000:]}")
    return proc.returncode, time.monotonic() - started


def set_up(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in ("units_a", "units_b"):
        (folder / f"{name}.yaml").write_text(STUDY.format(name=name))
    (folder / "lr_decay.yaml").write_text(LR_DECAY)
    (folder / "torture.yaml").write_text(SUITE)


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name not in IGNORED and not (p.name.startswith(".") and p.name.endswith(".tmp"))}


def verify(folder: Path) -> None:
    """`nnlab verify` must be clean, and nothing may have been moved aside as damaged."""
    if not (folder / "results").is_dir():
        return
    done = subprocess.run([sys.executable, "-m", "nnlab.cli", "verify", "results"], cwd=folder,
                          capture_output=True, text=True)
    if done.returncode != 0 or "kept aside" in done.stdout:
        raise AssertionError(f"nnlab verify after a kill:\n{done.stdout}{done.stderr}")


def torture(kills: int, seed: int, work: Path, log=print) -> dict:
    global GIT_STATE
    from nnlab.provenance import git_state

    GIT_STATE = json.dumps(git_state())
    rng = random.Random(seed)
    reference = work / "reference"
    set_up(reference)
    counts, durations = [], []
    for command in COMMANDS:
        count_file = work / "count"
        status, seconds = launch(reference, command, {"TORTURE_COUNT": str(count_file)}, None)
        counts.append(int(count_file.read_text()))
        durations.append(seconds)
    expected = files(reference / "results")
    log(f"reference: {len(expected)} files; write steps {counts[0]} (suite), {counts[1]} (report); "
        f"{durations[0]:.1f} s and {durations[1]:.1f} s")

    survived, where, episodes, leftovers = 0, collections.Counter(), 0, 0
    partial = 0  # kills that left some but not all of the results on disk: work cut short mid-way
    while survived < kills:
        episodes += 1
        folder = work / f"episode-{episodes}"
        set_up(folder)
        while True:  # cycles of the pipeline (suite, then report) until it finishes unbroken
            plan = _plan(rng, counts, durations) if survived < kills else None
            killed = _pipeline(folder, plan, work / "note")
            if killed is None:
                break
            survived += 1
            where[killed] += 1
            verify(folder)
            partial += 0 < len(files(folder / "results")) < len(expected)
        leftovers += len(list((folder / "results").rglob("*.tmp")))
        got = files(folder / "results")
        if got != expected:
            differing = sorted(k for k in expected.keys() | got.keys() if expected.get(k) != got.get(k))
            raise AssertionError(f"episode {episodes}: files differ from the unbroken run's: {differing[:10]}")
        log(f"episode {episodes}: {survived} kills so far; all {len(got)} files byte-identical to the reference")
        shutil.rmtree(folder)
    return {"kills": survived, "episodes": episodes, "files_per_episode": len(expected),
            "runs_per_episode": sum(1 for k in expected if k.endswith("metrics.json")),
            "temporaries_left": leftovers, "where": dict(where), "partial": partial}


def _plan(rng: random.Random, counts: list[int], durations: list[float]) -> tuple[str, int, float]:
    """Where in the pipeline to kill: at a random write step, or at a random moment, drawn over the
    unbroken pipeline (a rerun has less left to do, so a late draw may find it finished: then the
    episode ends unbroken). (how, command index, step or seconds into that command)."""
    if rng.random() < 0.5:
        step = rng.randint(1, sum(counts))
        return ("write", 0, step) if step <= counts[0] else ("write", 1, step - counts[0])
    moment = rng.uniform(0.0, sum(durations))
    return ("time", 0, moment) if moment < durations[0] else ("time", 1, moment - durations[0])


def _pipeline(folder: Path, plan, note: Path) -> str | None:
    """`nnlab suite`, then `nnlab report`, one of them killed as `plan` says; where the kill
    landed, or None if both finished."""
    for index, command in enumerate(COMMANDS):
        env, kill_after = {}, None
        if plan and plan[1] == index:
            note.unlink(missing_ok=True)
            if plan[0] == "write":
                env = {"TORTURE_KILL_AT": str(plan[2]), "TORTURE_NOTE": str(note)}
            else:
                kill_after = plan[2]
        status, _ = launch(folder, command, env, kill_after)
        if status != 0:
            if plan[0] == "write":
                hit = json.loads(note.read_text())
                return f"{command[0]}: during a write, before its {hit['step']} ({_kind_of(hit['path'])})"
            return f"{command[0]}: at a random moment (SIGKILL from outside)"
    return None


def _kind_of(path: str) -> str:
    """What a write was for, from its path under the results folder."""
    parts = Path(path).parts[Path(path).parts.index("results") + 1:]
    if not parts or parts[0] in ("report.md", "report.html", "report_assets"):
        return "the report" if parts else "the results folder"
    if len(parts) <= 2:
        return "a study summary" if len(parts) == 2 else "a study folder"
    return "a run file" if len(parts) == 4 else "a run folder"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs to survive (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="what the kill moments are drawn from")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nnlab-torture-"))
    started = time.monotonic()
    summary = torture(args.kills, args.seed, work)
    print(f"\nsurvived {summary['kills']} SIGKILLs over {summary['episodes']} episodes "
          f"({summary['runs_per_episode']} runs and {summary['files_per_episode']} files each, every one byte-identical "
          f"to the unbroken run's; nnlab verify clean after every kill) in {time.monotonic() - started:.0f} s")
    for place, count in sorted(summary["where"].items(), key=lambda item: -item[1]):
        print(f"  {count:4d}  {place}")
    print(f"  kills that left the results partly written: {summary['partial']}")
    print(f"  temporary files left beside study or report files: {summary['temporaries_left']}")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
