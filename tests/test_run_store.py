"""A run is trained once per results folder, whatever study holds it (issue 34.5): reuters_units'
units-64 is reuters_layers' hidden_layers-2, and the second study gets a copy of the first one's
record, relabelled, whole and checksummed, saying where it was trained."""

import json
import shutil

import pytest
import yaml
from click.testing import CliRunner

from conftest import BASE
from nnlab import run_store
from nnlab.cli import main

# Two studies of the tiny Reuters net: "units" varies the width, "layers" the depth; units 8 with one
# layer is the same run in both.
UNITS = BASE.replace("name: tiny", "name: units").replace("model: {hidden_layers: 1, units: 8}",
                                                          "model: {hidden_layers: 1}\ngrid: {model.units: [8, 16]}")
LAYERS = BASE.replace("name: tiny", "name: layers").replace("model: {hidden_layers: 1, units: 8}",
                                                            "model: {units: 8}\ngrid: {model.hidden_layers: [1, 2]}")


def run(*args):
    result = CliRunner().invoke(main, [*map(str, args), "--jobs", "1"] if args[0] in ("run", "suite") else list(map(str, args)))
    return result


def read(folder, name="metrics.json"):
    text = (folder / name).read_text()
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


@pytest.fixture
def studies(write_config):
    return write_config(UNITS, "units.yaml"), write_config(LAYERS, "layers.yaml")


@pytest.mark.slow
def test_the_second_study_copies_the_run_the_first_trained_relabelled_and_verify_finds_it_whole(tmp_path, studies):
    units, layers = studies
    assert run("run", units, "--results", tmp_path).exit_code == 0
    result = run("run", layers, "--results", tmp_path)
    assert result.exit_code == 0, result.output
    assert "the same run as units/units-8/seed-0: copied, not trained again" in result.output

    trained, copied = tmp_path / "units" / "units-8" / "seed-0", tmp_path / "layers" / "hidden_layers-1" / "seed-0"
    first, second = read(trained), read(copied)
    assert second["same_run_as"] == "units/units-8/seed-0" and "same_run_as" not in first
    assert (second["study"], second["variant"]) == ("layers", "hidden_layers-1")
    assert {k: v for k, v in second.items() if k not in ("study", "variant", "same_run_as")} == \
           {k: v for k, v in first.items() if k not in ("study", "variant")}
    assert read(copied, "config.yaml")["variant"] == "hidden_layers-1"
    assert read(copied, "config.yaml")["overrides"] == {"model.hidden_layers": 1}
    assert read(copied, "config.yaml")["name"] == read(copied, "provenance.json")["config"]["name"] == "layers"
    shown = run("show", copied)
    assert "trained in" in shown.output and "units/units-8/seed-0" in shown.output, shown.output
    assert read(copied, "provenance.json")["same_run_as"] == "units/units-8/seed-0"
    assert read(copied, "search_history.json") == read(trained, "search_history.json")
    assert not (copied / "tensorflow.log").exists()  # nothing trained here
    assert not (tmp_path / "layers" / "hidden_layers-2" / "seed-0" / "metrics.json").read_text().count("same_run_as")

    verified = run("verify", tmp_path)
    assert verified.exit_code == 0, verified.output
    summary = (tmp_path / "layers" / "summary.csv").read_text()
    assert "hidden_layers-1" in summary and "hidden_layers-2" in summary
    assert run("report", "--results", tmp_path).exit_code == 0
    front = (tmp_path / "report.md").read_text().split("## Contents")[0]
    assert "- Runs: 4 (4 ok); 1 of them the same run as one in another study" in front, front


@pytest.mark.slow
def test_in_one_command_two_at_a_time_the_shared_run_is_trained_once(tmp_path, studies):
    result = CliRunner().invoke(main, ["run", *map(str, studies), "--results", str(tmp_path), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    shared = [tmp_path / "units" / "units-8" / "seed-0", tmp_path / "layers" / "hidden_layers-1" / "seed-0"]
    copies = [read(f).get("same_run_as") for f in shared]
    assert sorted(map(bool, copies)) == [False, True], copies
    assert sum((f / "tensorflow.log").exists() for f in shared) == 1


@pytest.mark.slow
def test_a_damaged_or_forgotten_holder_is_handled_and_force_trains_again(tmp_path, studies):
    units, layers = studies
    assert run("run", units, "--results", tmp_path).exit_code == 0
    trained = tmp_path / "units" / "units-8" / "seed-0"

    # Runs finished before the store existed (or its entries removed) are found by their metrics.
    for entry in (tmp_path / run_store.STORE).iterdir():
        (entry / run_store.HOLDER).unlink()
    result = run("run", layers, "--results", tmp_path)
    assert "copied, not trained again" in result.output, result.output

    # --force trains it again here, whatever holds it elsewhere.
    copied = tmp_path / "layers" / "hidden_layers-1" / "seed-0"
    forced = run("run", layers, "--results", tmp_path, "--force", "-k", "hidden_layers-1")
    assert forced.exit_code == 0 and "copied" not in forced.output, forced.output
    assert "same_run_as" not in read(copied)

    # A holder whose record was edited since is not copied: the run is trained instead.
    shutil.rmtree(copied)
    (tmp_path / run_store.STORE / read(trained)["run_key"] / run_store.HOLDER).write_text("units/units-8/seed-0\n")
    metrics = read(trained)
    metrics["test_accuracy"] = 0.99
    (trained / "metrics.json").write_text(json.dumps(metrics))
    again = run("run", layers, "--results", tmp_path)
    assert again.exit_code == 0, again.output
    assert "copied" not in again.output
    assert "same_run_as" not in read(copied)


def test_a_holder_outside_the_results_folder_is_never_followed(tmp_path):
    entry = tmp_path / run_store.STORE / "k"
    entry.mkdir(parents=True)
    (entry / run_store.HOLDER).write_text("../elsewhere/v/seed-0\n")
    assert run_store.holder(tmp_path, "k") is None
    run_store.point(tmp_path, "k", tmp_path / "s" / "v" / "seed-0")
    assert run_store.holder(tmp_path, "k") == tmp_path / "s" / "v" / "seed-0"
    assert run_store.holder(tmp_path, "missing") is None


def test_the_store_is_hidden_from_the_readers_that_take_folders_for_studies(tmp_path):
    """report, diff and status list the visible folders of a results folder as studies."""
    run_store.point(tmp_path, "k", tmp_path / "s" / "v" / "seed-0")
    assert run_store.STORE.startswith(".")
    result = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert run_store.STORE not in result.output
