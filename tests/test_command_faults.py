"""Commands that meet a fault outside the config (a folder they cannot write, a file that is not a
config, an option out of range, another nnlab process on the same results): one line naming the
file, option or folder and what is allowed, exit status 1 or 2; never a traceback, never 70."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def one_line_error(result, exit_codes=(1, 2)) -> str:
    """The error line of a command that failed cleanly: no traceback, nothing unexpected."""
    assert result.exit_code in exit_codes, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "unexpectedly" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


@pytest.fixture
def a_file(tmp_path):
    """A regular file where a folder would have to be: as root, the way to make a path unwritable."""
    path = tmp_path / "afile"
    path.write_text("not a folder\n")
    return path


@pytest.fixture
def finished_results(tmp_path):
    """A results folder with one study and no runs: the export commands check where they write first."""
    root = tmp_path / "results"
    (root / "study").mkdir(parents=True)
    return root


# --- nnlab export mlflow ------------------------------------------------------------------------

def test_mlflow_export_to_a_sqlite_file_below_a_regular_file_is_one_line_at_once(finished_results, a_file):
    uri = f"sqlite:///{a_file / 'mlflow.db'}"
    started = time.monotonic()
    error = one_line_error(invoke("export", "mlflow", finished_results, "--tracking-uri", uri))
    assert time.monotonic() - started < 5  # not MLflow's minutes of retries
    assert f"--tracking-uri {uri}" in error and f"{a_file} is a file, not a folder" in error


def test_mlflow_export_to_a_sqlite_file_in_a_folder_it_cannot_write_is_one_line(finished_results, tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    if os.access(locked, os.W_OK):
        pytest.skip("running as root: permissions do not stop writes (the regular-file case covers it)")
    error = one_line_error(invoke("export", "mlflow", finished_results, "--tracking-uri", f"sqlite:///{locked / 'mlflow.db'}"))
    assert f"{locked} denies writing" in error


@pytest.mark.parametrize("uri", ["{folder}", "file://{folder}"])
def test_a_folder_as_mlflow_store_is_refused_with_the_sqlite_uri_to_use_instead(finished_results, tmp_path, uri):
    """MLflow 3 keeps its file store in maintenance mode and refuses it (MLFLOW_ALLOW_FILE_STORE opts back in)."""
    folder = tmp_path / "mlruns"
    given = uri.format(folder=folder)
    error = one_line_error(invoke("export", "mlflow", finished_results, "--tracking-uri", given,
                                  env={"MLFLOW_ALLOW_FILE_STORE": None}))
    assert f"--tracking-uri {given}: a folder is MLflow's file store" in error
    assert f"sqlite:///{folder / 'mlflow.db'}" in error
    assert not folder.exists()


def test_mlflow_help_offers_no_folder_as_a_store():
    text = " ".join(invoke("export", "mlflow", "--help").output.split())
    assert "sqlite:///mlflow.db" in text and "a folder, or" not in text and "Not a folder" in text


# --- nnlab export tensorboard -------------------------------------------------------------------

def test_tensorboard_export_into_a_folder_below_a_regular_file_is_one_line(finished_results, a_file):
    error = one_line_error(invoke("export", "tensorboard", finished_results, a_file / "logs"))
    assert f"LOGDIR {a_file / 'logs'} cannot be created: {a_file} is a file, not a folder" in error


# --- nnlab init ---------------------------------------------------------------------------------

@pytest.mark.parametrize("blocked", ["configs", "experiments", "schema"])
def test_init_where_one_of_its_folders_is_a_file_writes_nothing(tmp_path, blocked):
    (tmp_path / blocked).write_text("in the way\n")
    error = one_line_error(invoke("init", tmp_path))
    assert f"{tmp_path / blocked} is a file, not a folder; nothing was written" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocked]
    (tmp_path / blocked).unlink()
    assert invoke("init", tmp_path).exit_code == 0  # nothing of the failed try is in the way


def test_init_below_a_regular_file_writes_nothing(a_file):
    error = one_line_error(invoke("init", a_file / "course"))
    assert f"cannot be made: {a_file} is a file, not a folder" in error


def test_init_that_fails_halfway_takes_back_what_it_wrote(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    copied = []

    def full_disk_after_ten(source, target):
        data = Path(source).read_bytes()
        Path(target).write_bytes(data if len(copied) < 10 else data[:20])  # the 11th: a part, then the fault
        if len(copied) == 10:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        copied.append(target)

    monkeypatch.setattr("nnlab.shipped.shutil.copyfile", full_disk_after_ten)
    error = one_line_error(invoke("init", tmp_path / "course"))
    assert "No space left on device; nothing was kept" in error
    assert not (tmp_path / "course").exists()


# --- configs that are not config files, options out of range -------------------------------------

@pytest.mark.parametrize("command", ["validate", "run", "list", "status"])
def test_a_config_that_is_not_utf8_is_named_with_its_line(tmp_path, command):
    config = tmp_path / "study.yaml"
    config.write_bytes(b"name: x\n\xff\xfe name: x\n")
    error = one_line_error(invoke(command, *([tmp_path] if command == "status" else []), config))
    assert error == f"Error: {config}: line 2: not UTF-8 text (byte 0xff); save the file as UTF-8, as every shipped config is"


@pytest.mark.parametrize("command", ["validate", "run", "list"])
def test_a_folder_given_as_config_is_said_to_be_a_folder(tmp_path, command):
    error = one_line_error(invoke(command, tmp_path))
    assert f"{tmp_path}: is a folder, not a study config file" in error and "no such file" not in error


def test_a_folder_given_as_suite_manifest_is_said_to_be_a_folder(tmp_path):
    error = one_line_error(invoke("suite", tmp_path))
    assert f"{tmp_path}: is a folder, not a suite config file" in error


@pytest.mark.parametrize("option, value", [("--epochs", "0"), ("--epochs", "99999"), ("--subset", "0")])
def test_an_option_out_of_range_is_blamed_on_the_option_not_on_the_config(tmp_path, write_config, option, value):
    config = write_config(BASE)
    error = one_line_error(invoke("run", config, option, value, "--results", tmp_path / "out"), exit_codes=(2,))
    assert error.startswith(f"Error: Invalid value for '{option}': {value}")
    assert not (tmp_path / "out").exists()


def test_epochs_beyond_what_a_studys_kind_allows_names_the_option_and_the_limit(tmp_path, write_config):
    error = one_line_error(invoke("run", write_config(BASE), "--epochs", "99999", "--results", tmp_path / "out"),
                           exit_codes=(2,))
    assert error.startswith("Error: Invalid value for '--epochs': 99999 does not fit ")
    assert "less than or equal to 10000" in error


def test_epochs_a_kind_allows_beyond_trains_limit_are_taken(write_config):
    """poly_fit allows a million full-batch steps: --epochs is bounded by each study's kind, not by one figure."""
    from nnlab.cli_options import load_all

    [study] = load_all([write_config("name: poly\nkind: poly_fit\n")], epochs=50_000)
    assert study.variants[0].config.epochs == 50_000


# --- two commands over one results folder --------------------------------------------------------

@pytest.mark.slow
def test_two_identical_runs_at_once_train_each_run_once_and_both_succeed(tmp_path, write_config):
    config = write_config(BASE + "seeds: [0, 1, 2]\ngrid:\n  model.units: [8, 16]\n")
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path / "out")]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=600)[0] for process in both]
    assert [process.returncode for process in both] == [0, 0], outputs
    trained = sum(output.count(": best epoch") for output in outputs)
    assert trained == 6, outputs  # each of the 6 runs trained by one of the two
    summary = json.loads((tmp_path / "out" / "tiny" / "summary.json").read_text())
    assert len(summary) == 6 and {row["status"] for row in summary} == {"ok"}


@pytest.mark.slow
def test_a_run_another_process_holds_is_waited_for_not_trampled_then_done(tmp_path, write_config):
    """Here the other 'process' lets go without finishing it (it was killed): this one trains it then."""
    from nnlab import results

    config = write_config(BASE + "seeds: [0, 1]\n")
    held = results.run_dir(tmp_path, "tiny", "default", 0)
    holding, trampled = threading.Event(), []

    def other_process():
        with results.run_lock(held):
            holding.set()
            deadline = time.monotonic() + 300
            while not (results.run_dir(tmp_path, "tiny", "default", 1) / "metrics.json").is_file():
                assert time.monotonic() < deadline
                time.sleep(0.2)
            time.sleep(1)  # the command is waiting for it by now
            trampled.append((held / "metrics.json").exists())

    thread = threading.Thread(target=other_process)
    thread.start()
    holding.wait()
    result = invoke("run", config, "--results", tmp_path)
    thread.join()
    assert trampled == [False]
    assert result.exit_code == 0, result.output
    assert "being run by another nnlab process right now" in result.output and "waiting for" in result.output
    assert (held / "metrics.json").is_file()
