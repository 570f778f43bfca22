"""Same config and seed, same numbers; a killed suite resumes; a broken variant does not stop the rest."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BASE, wait_for
from nnlab import provenance
from nnlab.cli import main
from nnlab.config import load_study

NUMBERS = ("search_history.json", "retrain_history.json")
pytestmark = pytest.mark.slow  # every test here trains


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def run_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


def test_two_runs_of_the_same_config_and_seed_are_bit_identical(tmp_path, write_config):
    config = write_config(BASE + "seeds: [3]\n")
    for out in ("a", "b"):
        assert invoke("run", config, "--results", tmp_path / out).exit_code == 0
    a, b = (tmp_path / out / "tiny" / "default" / "seed-3" for out in ("a", "b"))
    for name in NUMBERS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    timings = ("wall_time_s", "seconds_per_epoch")  # the clock is the one thing allowed to differ
    assert {k: v for k, v in ma.items() if k not in timings} == {k: v for k, v in mb.items() if k not in timings}


def test_different_seeds_give_different_numbers_and_seeds_n_overrides_the_config(tmp_path, write_config):
    result = invoke("run", write_config(BASE), "--results", tmp_path, "--seeds", "2")
    assert result.exit_code == 0, result.output
    runs = [json.loads((tmp_path / "tiny" / "default" / f"seed-{s}" / "search_history.json").read_text()) for s in (0, 1)]
    assert runs[0]["loss"] != runs[1]["loss"]
    variants = json.loads((tmp_path / "tiny" / "variants.json").read_text())
    assert variants[0]["n"] == 2 and variants[0]["test_accuracy_sd"] is not None


def test_a_suite_killed_mid_way_resumes_and_leaves_finished_runs_untouched(tmp_path, write_config):
    config = write_config(BASE.replace("epochs: 2", "epochs: 8") + "grid: {model.units: [4, 8, 16]}\n")
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path)]
    first = tmp_path / "tiny" / "units-4" / "seed-0"
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(tmp_path / "tiny" / "units-8" / "seed-0" / ".lock")  # kill as soon as the second run is training
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert (first / "metrics.json").is_file()
    assert not (tmp_path / "tiny" / "units-8" / "seed-0" / "metrics.json").exists()
    before = run_files(first)

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "[1/3] tiny/units-4 seed 0: already complete (ok), skipped" in rerun.stdout
    assert "[2/3] tiny/units-8 seed 0 search: 8/8 epochs" in rerun.stdout
    assert run_files(first) == before
    assert len(json.loads((tmp_path / "tiny" / "summary.json").read_text())) == 3


def test_ctrl_c_with_jobs_stops_at_once_records_no_failure_and_the_rerun_resumes(tmp_path, write_config):
    """Ctrl-C reaches the CLI and its workers (one process group): nothing in flight is recorded as
    failed, nothing finished is touched, the next run picks up the rest."""
    config = write_config(BASE.replace("epochs: 2", "epochs: 40") + "seeds: [0, 1, 2, 3, 4, 5]\n")
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path), "--jobs", "2"]
    # As in a terminal: SIGINT handled (a shell's background jobs, CI's included, may inherit it ignored).
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in proc.stdout:  # a terminal's Ctrl-C: SIGINT to the whole foreground process group
        if ": best epoch" in line:  # once a run has finished
            os.killpg(proc.pid, signal.SIGINT)
            break
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    runs = sorted((tmp_path / "tiny" / "default").glob("seed-*"))
    assert not [r for r in runs if (r / "failure.json").exists()]
    finished = {r.name: run_files(r) for r in runs if (r / "metrics.json").is_file()}
    assert 0 < len(finished) < 6

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert rerun.stdout.count("already complete (ok), skipped") == len(finished)
    assert {name: run_files(tmp_path / "tiny" / "default" / name) for name in finished} == finished


def test_workers_do_not_outlive_a_killed_cli(tmp_path, write_config):
    import psutil

    config = write_config(BASE.replace("epochs: 2", "epochs: 200") + "seeds: [0, 1]\n")
    command = [sys.executable, "-m", "nnlab.cli", "run", str(config), "--results", str(tmp_path), "--jobs", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(tmp_path / "tiny" / "default" / "seed-0" / ".lock")
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
    assert len(workers) >= 2
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, "workers outlived the CLI"
    assert not (tmp_path / "tiny" / "default" / "seed-0" / "metrics.json").exists()


def test_a_diverging_variant_is_recorded_and_the_suite_goes_on(tmp_path, write_config):
    config = write_config(BASE.replace("loss: categorical_crossentropy", "loss: mse") + """\
variants:
  - name: sane
  - name: exploding
    model.activation: linear
    model.output_activation: linear
    optimizer: {name: sgd, learning_rate: 100.0}
""")
    result = invoke("run", config, "--results", tmp_path)
    assert result.exit_code != 0
    assert "tiny/exploding seed 0: DIVERGED at epoch 1" in result.output
    assert "1 run(s) did not finish ok" in result.output and "tiny/exploding seed 0: diverged" in result.output
    rows = {r["variant"]: r for r in json.loads((tmp_path / "tiny" / "summary.json").read_text())}
    assert rows["sane"]["status"] == "ok" and rows["sane"]["test_accuracy"] is not None
    assert (rows["exploding"]["status"], rows["exploding"]["diverged_epoch"]) == ("diverged", 1)

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    written = sorted(tmp_path.rglob("*.json"))
    assert {p.name for p in written} >= {"metrics.json", "search_history.json", "summary.json"}  # not a loop over none
    for path in written:  # strict JSON, as jq or a browser reads it
        json.loads(path.read_text(), parse_constant=refuse)
    history = json.loads((tmp_path / "tiny" / "exploding" / "seed-0" / "search_history.json").read_text())
    assert None in history["loss"]  # the non-finite loss, written as null
    assert invoke("report", "--results", tmp_path).exit_code == 0  # and read back as NaN


def test_result_files_get_the_mode_the_umask_gives(tmp_path, write_config):
    previous = os.umask(0o022)
    try:
        assert invoke("run", write_config(BASE), "--results", tmp_path).exit_code == 0
        assert invoke("report", "--results", tmp_path).exit_code == 0
    finally:
        os.umask(previous)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"]
    assert {p.name for p in files} >= {"metrics.json", "summary.csv", "report.html", "curves.png"}
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}


def test_an_exception_in_one_variant_is_recorded_with_its_traceback(tmp_path, write_config, monkeypatch):
    from nnlab.training import Trainer

    real_fit = Trainer.fit

    def flaky_fit(self, *args, **kwargs):
        if self.config.model.units == 4:
            raise RuntimeError("out of memory (simulated)")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "fit", flaky_fit)
    config = write_config(BASE + "grid: {model.units: [4, 8]}\n")
    result = invoke("run", config, "--results", tmp_path)
    assert result.exit_code != 0
    assert "tiny/units-4 seed 0: FAILED: RuntimeError: out of memory (simulated)" in result.output
    failure = json.loads((tmp_path / "tiny" / "units-4" / "seed-0" / "failure.json").read_text())
    assert "flaky_fit" in failure["traceback"]
    assert (tmp_path / "tiny" / "units-8" / "seed-0" / "metrics.json").is_file()
    statuses = [r["status"] for r in json.loads((tmp_path / "tiny" / "summary.json").read_text())]
    assert statuses == ["failed", "ok"]

    monkeypatch.setattr(Trainer, "fit", real_fit)  # fixed: the rerun retries only the failed run
    again = invoke("run", config, "--results", tmp_path)
    assert again.exit_code == 0 and "units-8 seed 0: already complete" in again.output
    assert not (tmp_path / "tiny" / "units-4" / "seed-0" / "failure.json").exists()


def test_provenance_records_what_made_the_run_and_show_prints_it(tmp_path, write_config):
    assert invoke("run", write_config(BASE), "--results", tmp_path).exit_code == 0
    folder = tmp_path / "tiny" / "default" / "seed-0"
    record = json.loads((folder / "provenance.json").read_text())
    assert record["config"]["model"]["units"] == 8 and record["seed"] == 0
    assert len(record["dataset"]["sha256"]) == 64
    for key in ("nnlab", "commit", "dirty", "python", "tensorflow", "keras", "numpy", "cpu", "gpus"):
        assert key in record["environment"], key
    assert record["started"] <= record["ended"]
    shown = invoke("show", folder)
    assert shown.exit_code == 0
    for text in ("tiny / default / seed 0", "tensorflow", "sha256", "best epoch", "test       loss"):
        assert text in shown.output, text


def test_a_changed_config_does_not_overwrite_a_finished_run(tmp_path, write_config):
    config = write_config(BASE)
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    metrics = tmp_path / "tiny" / "default" / "seed-0" / "metrics.json"
    before = metrics.read_bytes()
    changed = write_config(BASE.replace("units: 8", "units: 9"))
    result = invoke("run", changed, "--results", tmp_path)
    assert result.exit_code != 0 and "--force" in result.output
    assert metrics.read_bytes() == before
    assert invoke("run", changed, "--results", tmp_path, "--force").exit_code == 0
    assert metrics.read_bytes() != before


def test_the_run_key_covers_config_seed_and_data(write_config):
    variant = load_study(write_config(BASE)).variants[0]
    key = provenance.run_key(variant.config, 0, "abc")
    assert key != provenance.run_key(variant.config, 1, "abc")
    assert key != provenance.run_key(variant.config, 0, "abd")


def test_without_retrain_the_test_figures_come_from_the_best_epoch_weights(tmp_path, write_config):
    config = write_config(BASE.replace("epochs: 2", "epochs: 4") + "retrain: false\n")
    assert invoke("run", config, "--results", tmp_path).exit_code == 0
    run = tmp_path / "tiny" / "default" / "seed-0"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["retrain_epochs"] == 0 and metrics["protocol"].startswith("best-epoch weights")
    assert not (run / "retrain_history.json").exists()
    # The kept weights are the best epoch's: re-evaluating them on validation gives its val_loss.
    from nnlab.data import encode_labels, load_dataset, split_validation
    from nnlab.training import Trainer
    cfg = load_study(config).variants[0].config
    data = load_dataset(cfg.dataset)
    x_tr, y_tr, x_val, y_val = split_validation(data.x_train, data.y_train, cfg.validation, data.full_train_size)
    enc = lambda y: encode_labels(y, data.num_classes, cfg.loss)
    trainer = Trainer(cfg, 0, data.num_classes, x_tr)
    history, _ = trainer.fit(x_tr, enc(y_tr), cfg.epochs, validation=(x_val, enc(y_val)), keep_best=True)
    loss = trainer.evaluate(x_val, enc(y_val))["loss"]
    assert loss == pytest.approx(history["val_loss"][metrics["best_epoch"] - 1], rel=1e-5)
    assert history["val_loss"] == json.loads((run / "search_history.json").read_text())["val_loss"]


def test_a_second_fit_starts_afresh_as_a_new_model_from_the_seed_would(write_config):
    """The retrain reuses the search's compiled graph; it must still be a fresh start from the seed."""
    from nnlab.data import encode_labels, load_dataset
    from nnlab.training import Trainer
    cfg = load_study(write_config(BASE)).variants[0].config
    data = load_dataset(cfg.dataset)
    y = encode_labels(data.y_train, data.num_classes, cfg.loss)
    used = Trainer(cfg, 0, data.num_classes, data.x_train)
    used.fit(data.x_train[:100], y[:100], 3)  # moves the weights and the optimizer's state
    again, _ = used.fit(data.x_train, y, 2)
    fresh, _ = Trainer(cfg, 0, data.num_classes, data.x_train).fit(data.x_train, y, 2)
    assert again == fresh


MNIST_SAMPLE = (BASE.replace("dataset: {name: reuters, num_words: 1000, sample: true}", "dataset: {name: mnist, sample: true}")
                .replace("validation: {split: first, size: 50}", "validation: {split: first, size: 100}"))


@pytest.mark.parametrize("base", [BASE, MNIST_SAMPLE], ids=["reuters", "mnist"])
@pytest.mark.parametrize("executor", ["local", "threads"])
def test_jobs_2_gives_the_same_numbers_as_jobs_1(tmp_path, write_config, base, executor):
    """Two worker processes, or two runs side by side as threads of one process (--executor threads:
    they take turns at the process's generators and never share a compiled model)."""
    assert "mnist" in MNIST_SAMPLE and "size: 100" in MNIST_SAMPLE  # (a key written twice is refused now: replaced, not appended)
    config = write_config(base + "seeds: [0, 1]\ngrid:\n  model.units: [8, 16]\n")
    for jobs in (1, 2):
        result = invoke("run", config, "--results", tmp_path / f"jobs-{jobs}", "--jobs", jobs, "--executor", executor)
        assert result.exit_code == 0, result.output
    runs = sorted((tmp_path / "jobs-1").glob("tiny/*/seed-*"))
    assert len(runs) == 4
    for one in runs:
        two = tmp_path / "jobs-2" / one.relative_to(tmp_path / "jobs-1")
        for name in NUMBERS:
            assert (one / name).read_bytes() == (two / name).read_bytes(), one
        timings = ("wall_time_s", "seconds_per_epoch")
        m1, m2 = (json.loads((d / "metrics.json").read_text()) for d in (one, two))
        assert {k: v for k, v in m1.items() if k not in timings} == {k: v for k, v in m2.items() if k not in timings}


def test_an_nnlab_error_inside_one_run_is_that_runs_failure_and_the_suite_goes_on(tmp_path, write_config, monkeypatch):
    """E.g. a validation metric that is never finite: selection raises NnlabError, that run fails alone."""
    from nnlab.errors import NnlabError
    calls = []

    def never_finite_first(rule, history):
        calls.append(rule.metric)
        if len(calls) == 1:  # the first run, units-4
            raise NnlabError(f"{rule.metric} has no finite value in any epoch: the run diverged")
        return best_epoch(rule, history)

    from nnlab.selection import Rule
    best_epoch = Rule.best_epoch
    monkeypatch.setattr(Rule, "best_epoch", never_finite_first)
    result = invoke("run", write_config(BASE + "grid: {model.units: [4, 8]}\n"), "--results", tmp_path)
    assert result.exit_code != 0
    assert "tiny/units-4 seed 0: FAILED: NnlabError: val_loss has no finite value" in result.output
    assert (tmp_path / "tiny" / "units-8" / "seed-0" / "metrics.json").is_file()
