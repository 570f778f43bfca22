"""Issue 24, part: `nnlab export mlflow` and `nnlab export tensorboard` turn every finished run into
the trackers' own records, read back here with the libraries' own readers (MLflow's client on a
local SQLite store, TensorBoard's event reader), and exporting twice creates nothing twice."""

import json

import pytest
import yaml
from click.testing import CliRunner

from conftest import train_metrics
from nnlab.cli import main

pytestmark = pytest.mark.slow  # MLflow and TensorFlow load in seconds, not milliseconds

HISTORY = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.8, 0.85], "accuracy": [0.6, 0.8, 0.9],
           "val_accuracy": [0.55, 0.7, 0.68]}


def write_runs(root):
    for variant, units in (("units-8", 8), ("units-16", 16)):
        for seed in (0, 1):
            folder = root / "pick" / variant / f"seed-{seed}"
            folder.mkdir(parents=True)
            config = {"variant": variant, "seed": seed, "name": "pick", "kind": "train", "loss": "mse",
                      "model": {"units": units, "hidden_layers": 1}, "epochs": 3}
            (folder / "config.yaml").write_text(yaml.safe_dump(config))
            (folder / "search_history.json").write_text(json.dumps(HISTORY))
            (folder / "retrain_history.json").write_text(json.dumps({"loss": [0.8, 0.4]}))
            (folder / "metrics.json").write_text(json.dumps(train_metrics(
                study="pick", variant=variant, seed=seed, run_key=f"key-{variant}-{seed}", status="ok", best_epoch=2,
                best_val_loss=0.8, best_val_accuracy=0.7, test_loss=0.82, test_accuracy=0.69 + seed / 100)))


def test_mlflow_holds_every_run_with_its_params_curves_figures_and_tags_and_a_second_export_adds_nothing(tmp_path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    write_runs(tmp_path / "results")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for _ in range(2):
        result = CliRunner().invoke(main, ["export", "mlflow", str(tmp_path / "results"), "--tracking-uri", uri])
        assert result.exit_code == 0, result.output
    assert "0 runs exported, 4 already there" in result.output
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("nnlab/pick")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 4
    run = next(r for r in runs if r.data.tags["nnlab.run_key"] == "key-units-16-1")
    assert run.data.tags["nnlab.seed"] == "1" and run.data.tags["nnlab.variant"] == "units-16"
    assert run.data.params["model.units"] == "16" and run.data.params["loss"] == "mse" and "seed" not in run.data.params
    assert run.data.metrics["test_accuracy"] == pytest.approx(0.70)
    history = client.get_metric_history(run.info.run_id, "val_loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == list(enumerate(HISTORY["val_loss"], 1))
    assert [m.value for m in client.get_metric_history(run.info.run_id, "retrain_loss")] == [0.8, 0.4]
    assert {a.path for a in client.list_artifacts(run.info.run_id)} >= {"config.yaml", "metrics.json"}


def test_tensorboards_reader_sees_every_runs_curves_and_its_hparams(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    write_runs(tmp_path / "results")
    result = CliRunner().invoke(main, ["export", "tensorboard", str(tmp_path / "results"), str(tmp_path / "tb")])
    assert result.exit_code == 0, result.output
    for variant in ("units-8", "units-16"):
        for seed in (0, 1):
            events = EventAccumulator(str(tmp_path / "tb" / "pick" / variant / f"seed-{seed}"), size_guidance={"tensors": 0})
            events.Reload()
            read = events.Tensors("val_loss")
            assert [e.step for e in read] == [1, 2, 3]
            assert [float(tensor_util.make_ndarray(e.tensor_proto)) for e in read] == pytest.approx(HISTORY["val_loss"])
            assert "_hparams_/session_start_info" in events.Tags()["tensors"]
    again = CliRunner().invoke(main, ["export", "tensorboard", str(tmp_path / "results"), str(tmp_path / "tb")])
    assert "0 runs written, 4 already there" in again.output
