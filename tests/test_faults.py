"""Faults and hostile input (issue 12): a full disk, lost permission or a vanished results folder
stops the command with one clear line and loses nothing; damaged result files are moved aside and
their runs redone; `nnlab verify` finds what does not match what the runs recorded; no command ends
in a raw traceback."""

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASE, shipped_configs, wait_for
from nnlab import integrity, records, results
from nnlab.cli import main

TWO_VARIANTS = BASE + "grid:\n  model.units: [8, 16]\n"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(output: str) -> str:
    """The command's error: exactly one line starting 'Error:', and no traceback anywhere."""
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, output
    return errors[0]


def leftovers(root: Path) -> list[Path]:
    """Half-written files: temporaries of writes that did not reach their rename."""
    return sorted(root.rglob(results.TEMPORARY))


def fail_writes_under(root: Path, monkeypatch, after: int, error: OSError) -> None:
    """The storage under `root` refuses every write after the first `after` succeeded (the way a
    filling disk surfaces: at the fsync of the data)."""
    real_fsync, done = os.fsync, []

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(root)) and not Path(os.readlink(f"/proc/self/fd/{fd}")).is_dir():
            if len(done) >= after:
                raise error
            done.append(fd)
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


# --- the storage fails mid-suite -------------------------------------------------------------

@pytest.mark.parametrize(("error", "said"), [
    (OSError(errno.ENOSPC, "No space left on device"), "the disk is full. Runs finished before it are intact; "
                                                       "nothing half-written was kept. Free some space, then run"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "the disk quota is used up."),
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied. Runs finished before it are intact; "
                                                         "nothing half-written was kept. Give yourself write permission"),
    (OSError(errno.EIO, "Input/output error"), "an input/output error"),
])
@pytest.mark.slow
def test_a_storage_fault_mid_suite_stops_it_with_one_line_and_the_finished_run_stays_whole(
        tmp_path, write_config, monkeypatch, error, said):
    root = tmp_path / "results"
    fail_writes_under(root, monkeypatch, after=9, error=error)  # source.json, the first run's 7 files and its run store entry
    result = invoke("run", write_config(TWO_VARIANTS), "--results", root)
    line = one_error_line(result.output)
    assert result.exit_code == 1
    assert "stopped in tiny/units-16 seed 0: writing " in line and said in line
    assert "Runs finished before it are intact" in line and line.endswith("the same command again to resume.")
    monkeypatch.undo()
    assert leftovers(root) == []
    assert integrity.check_run(root / "tiny" / "units-8" / "seed-0")[1] == []
    assert not (root / "tiny" / "units-16" / "seed-0" / results.METRICS).exists()
    assert not (root / "tiny" / "units-16" / "seed-0" / results.FAILURE).exists()  # not the run's fault
    rerun = invoke("run", write_config(TWO_VARIANTS), "--results", root)
    assert rerun.exit_code == 0 and rerun.output.count("already complete") == 1


def can_mount_a_small_disk() -> bool:
    """Asked by the test that needs it, not at collection (which would start a process every time)."""
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         f"mount -t tmpfs -o size=64k tmpfs {tempfile.gettempdir()}"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_a_real_disk_that_fills_up_mid_suite(tmp_path, write_config):
    """A 160 KiB tmpfs holds the first run (about 80 KiB, its learning-curve figure most of it) but
    not the second: the suite meets a real ENOSPC."""
    if not can_mount_a_small_disk():
        pytest.skip("needs unshare to mount a small tmpfs (user namespaces)")
    disk, kept = tmp_path / "disk", tmp_path / "kept"
    disk.mkdir()
    config = write_config(TWO_VARIANTS.replace("[8, 16]", "[8, 16, 32]"))
    script = (f"mount -t tmpfs -o size=160k tmpfs {disk} && "
              f"{sys.executable} -m nnlab.cli run {config} --results {disk}/results; "
              f"echo EXIT=$?; cp -a {disk}/results {kept}")
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    line = one_error_line(output)
    assert "EXIT=1" in output and "the disk is full" in line and "stopped in tiny/units-" in line
    assert leftovers(kept) == []
    finished = [f for f in kept.glob("tiny/*/seed-0") if (f / results.METRICS).is_file()]
    assert finished and all(integrity.check_run(f)[1] == [] for f in finished)


@pytest.mark.slow
def test_a_results_folder_removed_mid_suite_stops_it_and_is_not_made_again(tmp_path, write_config):
    root = tmp_path / "results"
    config = write_config(TWO_VARIANTS.replace("epochs: 2", "epochs: 30").replace("[8, 16]", "[8, 16, 32]"))
    proc = subprocess.Popen([sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(root / "tiny" / "units-8" / "seed-0" / results.METRICS)
    deadline = time.monotonic() + 60
    while root.exists() and time.monotonic() < deadline:  # the run may write a file while rmtree walks
        shutil.rmtree(root, ignore_errors=True)
    output, _ = proc.communicate(timeout=300)
    line = one_error_line(output)
    assert proc.returncode == 1 and "vanished" in line and "stopped in tiny/units-" in line
    assert not root.exists()  # nnlab never creates a removed results folder again from a run's path


# --- damaged results -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished study of two variants, trained once for the module (it is the only training the
    fast tier does here); tests get a copy (`finished`)."""
    root = tmp_path_factory.mktemp("faults") / "results"
    config = root.parent / "study.yaml"
    config.write_text(TWO_VARIANTS)
    result = invoke("run", config, "--results", root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def finished(trained, tmp_path, write_config):
    """A results folder with a finished study of two variants (a copy of `trained`), and its config."""
    root = tmp_path / "results"
    shutil.copytree(trained, root)
    config = write_config(TWO_VARIANTS)
    results.record_study_source(root, "tiny", config)  # made by this file: edited, it is the same study
    return root, config


@pytest.mark.parametrize(("damage", "file"), [
    (lambda p: p.write_bytes(b""), results.METRICS),  # a power cut on a filesystem that lost the rename's data
    (lambda p: p.write_bytes(p.read_bytes()[:40]), "search_history.json"),  # truncated
    (lambda p: p.write_bytes(p.read_bytes()[:1000]), "curves.png"),
    (lambda p: p.unlink(), "retrain_history.json"),
])
@pytest.mark.slow  # the damaged run is trained again
def test_a_damaged_run_is_left_out_of_the_report_then_moved_aside_and_redone(finished, damage, file):
    root, config = finished
    folder = root / "tiny" / "units-16" / "seed-0"
    original = (folder / "search_history.json").read_bytes()
    damage(folder / file)

    report = invoke("report", "--results", root)
    assert report.exit_code == 0 and "Traceback" not in report.output
    assert f"warning: left out of the report, damaged: {folder / file}" in report.output
    assert "units-16" not in (root / "report.md").read_text().split("## tiny")[1]

    rerun = invoke("run", config, "--results", root)
    assert rerun.exit_code == 0, rerun.output
    assert f"tiny/units-16 seed 0: damaged: {file} " in rerun.output and "the run is redone" in rerun.output
    assert rerun.output.count("already complete") == 1  # units-8 untouched
    kept = sorted(p.name for p in folder.iterdir() if records.DAMAGED in p.name)
    assert any(name.startswith(f"{results.METRICS}{records.DAMAGED}") for name in kept)
    if file != "retrain_history.json":  # a missing file has nothing to keep
        assert any(name.startswith(f"{file}{records.DAMAGED}") for name in kept)
    assert integrity.check_run(folder)[1] == []
    assert (folder / "search_history.json").read_bytes() == original  # redone from its seed: the same run
    verified = invoke("verify", root)
    assert verified.exit_code == 0 and "no problems" in verified.output and "kept aside" in verified.output


@pytest.mark.slow  # the module's one trained study (the trained fixture)
def test_a_run_folder_of_another_config_is_still_refused_not_treated_as_damage(finished):
    root, config = finished
    config.write_text(config.read_text().replace("epochs: 2", "epochs: 3"))
    result = invoke("run", config, "--results", root)
    assert result.exit_code == 1 and "were made with another config, dataset or nnlab run format" in one_error_line(result.output)
    assert "Nothing has trained" in result.output


# --- nnlab verify ----------------------------------------------------------------------------

def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2))


@pytest.mark.slow  # the module's one trained study (the trained fixture)
def test_verify_is_clean_on_finished_runs_and_finds_a_hand_edited_metrics_json(finished):
    root, _ = finished
    clean = invoke("verify", root)
    assert clean.exit_code == 0 and f"{root}: 2 run folders: 2 finished; no problems" in clean.output

    metrics = root / "tiny" / "units-8" / "seed-0" / results.METRICS
    edit_json(metrics, test_accuracy=0.99)
    found = invoke("verify", root)
    assert found.exit_code == 1
    assert f"{metrics}: differs from what the run recorded (its sha256 in checksums.sha256)" in found.output
    assert "1 problem(s)" in found.output


@pytest.mark.slow  # the module's one trained study (the trained fixture)
def test_verify_checks_the_recorded_rules_where_a_run_has_no_checksums(finished):
    """Runs made before checksums were recorded: the rules still catch a changed best epoch, a
    changed config (the run key no longer matches) and a missing test figure."""
    root, _ = finished
    folders = sorted(root.glob("tiny/*/seed-0"))
    assert len(folders) == 2  # both variants' runs lose their checksums, not none
    for folder in folders:
        (folder / results.CHECKSUMS).unlink()
    first, second = root / "tiny" / "units-8" / "seed-0", root / "tiny" / "units-16" / "seed-0"
    best = json.loads((first / results.METRICS).read_text())["best_epoch"]
    edit_json(first / results.METRICS, best_epoch=3 - best, test_accuracy=None)
    provenance = json.loads((second / "provenance.json").read_text())
    provenance["config"]["batch_size"] = 32
    (second / "provenance.json").write_text(json.dumps(provenance))

    found = invoke("verify", root)
    assert found.exit_code == 1
    assert f"{first / results.METRICS}: best_epoch {3 - best} is not what the selection rule (val_loss, min) gives" in found.output
    assert f"{first / results.METRICS}: test_accuracy is None: a finished run has its test figure" in found.output
    assert f"{second / results.METRICS}: run_key" in found.output and "does not match the recorded config" in found.output


@pytest.mark.slow  # the module's one trained study (the trained fixture)
def test_verify_counts_unfinished_runs_and_leftover_temporaries_but_does_not_flag_them(finished):
    root, _ = finished
    (root / "tiny" / "units-32" / "seed-0").mkdir(parents=True)
    (root / "tiny" / "units-8" / "seed-0" / ".metrics.json.abc.tmp").write_text("{")
    result = invoke("verify", root)
    assert result.exit_code == 0
    assert "3 run folders: 2 finished, 1 unfinished" in result.output and "1 temporary file(s)" in result.output


# --- no raw tracebacks -----------------------------------------------------------------------

@pytest.mark.slow  # the module's one trained study (the trained fixture)
def test_an_unexpected_error_is_one_line_and_a_log_file_and_debug_prints_the_traceback(finished, monkeypatch):
    root, _ = finished

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in nnlab")

    monkeypatch.setattr("nnlab.report.build", broken)
    result = invoke("report", "--results", root)
    assert result.exit_code == 70
    line = one_error_line(result.output)
    assert line == "Error: nnlab failed unexpectedly: ZeroDivisionError: a bug in nnlab"
    log = Path(result.output.split("the full traceback is in ")[1].split(";")[0])
    assert "Traceback" in log.read_text() and "ZeroDivisionError: a bug in nnlab" in log.read_text()
    assert "report --results" in log.read_text()  # the command that failed

    debug = CliRunner().invoke(main, ["--debug", "report", "--results", str(root)])
    assert isinstance(debug.exception, ZeroDivisionError)  # raised as it is: Python prints the traceback


@pytest.mark.slow  # starts a process
def test_output_into_a_closed_pipe_ends_quietly():
    """`nnlab list ... | head -1`: the reader goes away before nnlab has written."""
    proc = subprocess.Popen([sys.executable, "-m", "nnlab.cli", "list", *map(str, shipped_configs())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and stderr == ""
