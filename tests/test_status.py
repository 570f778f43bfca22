"""Issue 24, part: `-k PATTERN` picks variants by name on run, suite, list and report, and `nnlab
status` says what a results folder holds (finished, diverged, failed, running, damaged, stale,
pending) without training or reading data."""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from click.testing import CliRunner

from conftest import BASE, train_metrics
from nnlab import status
from nnlab.cli import main
from nnlab.config import load_study
from nnlab.variant_filter import matches

STUDY = BASE.replace("name: tiny", "name: pick") + """seeds: [0, 1]
grid:
  model.units: [8, 16, 128]
"""


@pytest.mark.parametrize("name, patterns, expected", [
    ("units-128", ["128"], True), ("units-128", ["units-1?8"], True), ("units-16", ["units-1?8"], False),
    ("units-16", ["units-*"], True), ("units-16", ["nits-1"], True), ("units-16", ["8", "16"], True),
    ("units-16", [], True), ("units-16", ["units-1"], True), ("units-16", ["units-1*6"], True), ("units-8", ["units-1*"], False),
])
def test_a_pattern_is_a_glob_of_the_whole_name_where_it_has_a_glob_character_else_a_substring(name, patterns, expected):
    assert matches(name, patterns) is expected


def test_list_with_k_shows_only_the_matching_variants_and_refuses_a_pattern_that_matches_none(write_config):
    path = write_config(STUDY)
    listed = CliRunner().invoke(main, ["list", str(path), "-k", "units-1*"])
    assert listed.exit_code == 0 and "units-16" in listed.output and "units-128" in listed.output
    assert "units-8 " not in listed.output
    refused = CliRunner().invoke(main, ["list", str(path), "-k", "units-4*"])
    assert refused.exit_code == 1 and "no variant matches" in refused.output and "units-8" in refused.output


def test_a_selected_study_runs_only_its_matching_variants_but_keeps_all_for_its_summary(write_config):
    study = load_study(write_config(STUDY)).selecting(["16"])
    assert [v.id for v in study.selected] == ["units-16"] and len(study.variants) == 3
    assert study.run_count == 2 and "(-k: units-16)" in study.what_runs()


# --- status on hand-made folders ----------------------------------------------------------------

def write_run(root, variant, seed, **metrics):
    """A run folder as the runner writes it: the variant's config as recorded, its metrics."""
    folder = root / "pick" / variant / f"seed-{seed}"
    folder.mkdir(parents=True)
    study = load_study(root.parent / "study.yaml")
    chosen = next(v for v in study.variants if v.id == variant)
    recorded = {"variant": variant, "seed": seed, "overrides": chosen.overrides, **chosen.config.model_dump(mode="json")}
    (folder / "config.yaml").write_text(yaml.safe_dump(recorded, sort_keys=False))
    (folder / "metrics.json").write_text(json.dumps(train_metrics(study="pick", variant=variant, seed=seed,
                                                                  run_key=f"{variant}-{seed}", **metrics)))
    return folder


def test_status_tells_finished_diverged_failed_damaged_running_stale_and_pending_apart(tmp_path, write_config):
    root = tmp_path / "results"
    write_config(STUDY)
    write_run(root, "units-8", 0, status="ok")
    write_run(root, "units-8", 1, status="diverged")
    failed = root / "pick" / "units-16" / "seed-0"
    failed.mkdir(parents=True)
    (failed / "failure.json").write_text(json.dumps({"variant": "units-16", "seed": 0, "status": "failed", "error": "x"}))
    (write_run(root, "units-16", 1, status="ok") / "checksums.sha256").write_text("0" * 64 + "  metrics.json\n")
    stale = write_run(root, "units-128", 0, status="ok")
    (stale / "config.yaml").write_text((stale / "config.yaml").read_text().replace("epochs: 2", "epochs: 3"))
    busy = root / "pick" / "units-128" / "seed-1"
    busy.mkdir(parents=True)
    holder = os.open(busy / ".lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another "process" running it
    try:
        states = status.of_studies(root, [load_study(write_config(STUDY))])
    finally:
        os.close(holder)
    assert [(s.variant, s.seed, s.state) for s in states] == [
        ("units-8", 0, "finished"), ("units-8", 1, "diverged"), ("units-16", 0, "failed"), ("units-16", 1, "damaged"),
        ("units-128", 0, "stale"), ("units-128", 1, "running")]
    assert status.state_of(busy) == "pending"  # the lock is free again: begun, nothing recorded
    assert status.lines(states)[0] == "pick: 1 finished, 1 diverged, 1 failed, 1 running, 1 damaged, 1 stale"


def test_status_of_a_results_folder_alone_lists_what_is_there_and_json_counts_it(tmp_path, write_config):
    root = tmp_path / "results"
    write_config(STUDY)
    write_run(root, "units-8", 0, status="ok")
    result = CliRunner().invoke(main, ["status", str(root), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["counts"]["finished"] == 1 and data["runs"] == [{"study": "pick", "variant": "units-8", "seed": 0, "state": "finished"}]


# --- on real runs -------------------------------------------------------------------------------

@pytest.mark.slow
def test_run_with_k_trains_exactly_the_matching_variants_and_its_report_says_which_it_holds(tmp_path, write_config):
    path, root = write_config(STUDY), tmp_path / "results"
    ran = CliRunner().invoke(main, ["run", str(path), "--results", str(root), "-k", "units-1*", "--quiet"])
    assert ran.exit_code == 0, ran.output
    assert sorted(p.name for p in (root / "pick").iterdir() if p.is_dir()) == ["units-128", "units-16"]
    reported = CliRunner().invoke(main, ["report", "--results", str(root), "-k", "16"])
    assert reported.exit_code == 0, reported.output
    text = (root / "report.md").read_text()
    assert "- Selected with `-k 16`: only these variants are in this report: pick: units-16" in text
    assert "units-128" not in text


@pytest.mark.slow
def test_status_of_a_suite_killed_mid_way_counts_what_finished_and_what_is_pending(tmp_path, write_config):
    path, root = write_config(STUDY.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3]")), tmp_path / "results"
    manifest = write_config(f"name: s\nseeds: 4\nstudies:\n  - {path}\n", "suite.yaml")
    process = subprocess.Popen([sys.executable, "-m", "nnlab.cli", "suite", str(manifest), "--results", str(root), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(root.glob("pick/*/seed-*/metrics.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = len(list(root.glob("pick/*/seed-*/metrics.json")))
    result = CliRunner().invoke(main, ["status", str(root), str(manifest), "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    assert counts["finished"] == finished and counts["finished"] + counts["pending"] == 12 and 3 <= finished < 12
