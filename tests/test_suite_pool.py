"""A suite keeps its workers busy across studies: the next study's runs are queued before the runner
waits for this study's, so a worker that finishes early takes them at once. Nothing trains here: a
pool that records what it is handed stands in for the workers."""

import contextlib
from concurrent.futures import Future

import pytest

from conftest import BASE
from nnlab import progress, runner
from nnlab.api import Execution, run_studies
from nnlab.config import load_study


class RecordingPool:
    """Answers each run at once (as if trained elsewhere) and notes what it was handed, in order."""

    def __init__(self, capacity: int, log: list):
        self.capacity, self.log = capacity, log
        self.display = self.echo = lambda event: None

    def submit(self, function, context, *rest) -> Future:
        self.log.append(("run", context.study))
        future = Future()
        future.set_result(runner.RunOutcome(context.variant.id, context.seed, "ok", None))
        return future

    @staticmethod
    def lost(exc):
        return False

    def settle(self):
        pass


class Recording(Execution):
    def __init__(self, capacity: int, log: list):
        super().__init__()
        object.__setattr__(self, "capacity", capacity)
        object.__setattr__(self, "log", log)

    def pool(self, display, root, runs=None, threads=None):
        return contextlib.nullcontext(RecordingPool(self.capacity, self.log))


@pytest.fixture
def three_studies(write_config, monkeypatch):
    log = []
    monkeypatch.setattr(runner, "write_study_outputs", lambda study, root, warn=None: log.append(("summary", study.name)))
    studies = [load_study(write_config(BASE.replace("name: tiny", f"name: {name}") + "seeds: [0, 1]\n", f"{name}.yaml"))
               for name in ("first", "second", "third")]
    return studies, log


def test_with_several_workers_the_next_studys_runs_are_queued_before_this_study_is_summarised(tmp_path, three_studies):
    studies, log = three_studies
    run_studies(studies, tmp_path, execution=Recording(2, log), display=progress.Quiet())
    assert log == [("run", "first")] * 2 + [("run", "second")] * 2 + [("summary", "first")] + \
                  [("run", "third")] * 2 + [("summary", "second"), ("summary", "third")]


def test_one_run_at_a_time_keeps_each_study_whole(tmp_path, three_studies):
    """In-process (no workers), submitting is running: the next study waits for this one's summary."""
    studies, log = three_studies
    run_studies(studies, tmp_path, execution=Recording(1, log), display=progress.Quiet())
    assert log == [("run", "first")] * 2 + [("summary", "first")] + [("run", "second")] * 2 + \
                  [("summary", "second")] + [("run", "third")] * 2 + [("summary", "third")]
