"""A few rounds of the crash torture (tests/crash_torture.py; `make torture` runs 200 kills): SIGKILL
at random moments and at random writes of a tiny suite and its report, rerun, and nothing is lost."""

import pytest

from crash_torture import torture


@pytest.mark.slow
def test_runs_killed_at_random_moments_and_writes_resume_to_byte_identical_results(tmp_path):
    summary = torture(kills=6, seed=12, work=tmp_path, log=lambda line: None)
    # torture() raises if verify complained after a kill or any file differed from the unbroken run's.
    # That proves something only if the kills cut real work short: some left a half-done results
    # folder behind, and some struck inside a write (the killed process itself noted which).
    assert summary["partial"] >= 1, summary
    assert any("during a write" in place for place in summary["where"]), summary["where"]
    assert summary["runs_per_episode"] == 12
    assert summary["temporaries_left"] == 0  # a killed write's temporary is removed by the next writer there
