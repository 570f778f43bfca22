"""A few rounds of the crash torture (tests/crash_torture.py; `make torture` runs 200 kills): SIGKILL
at random moments and at random writes of a tiny suite and its report, rerun, and nothing is lost."""

import pytest

from crash_torture import torture


@pytest.mark.slow
def test_runs_killed_at_random_moments_and_writes_resume_to_byte_identical_results(tmp_path):
    summary = torture(kills=6, seed=12, work=tmp_path, log=lambda line: None)
    assert summary["kills"] == 6  # torture() raises if verify complained or any file differed
    assert summary["runs_per_episode"] == 12 and summary["episodes"] >= 1
    assert sum(summary["where"].values()) == 6
    assert summary["temporaries_left"] == 0  # a killed write's temporary is removed by the next writer there
