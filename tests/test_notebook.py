"""Issue 24, part: nnlab in a notebook. examples/chapter3.ipynb runs headless with a real Jupyter
kernel (nbclient + ipykernel), its outputs hold the tables and figures, and its second nnlab.run
trains nothing; nnlab.load reads a finished study without training."""

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import train_metrics
from nnlab.errors import NnlabError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "chapter3.ipynb"
CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def outputs_of(cell) -> dict:
    """A cell's outputs by MIME type (stream text under "stream")."""
    found = {}
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            found["stream"] = found.get("stream", "") + output["text"]
        for mime, data in output.get("data", {}).items():
            found[mime] = found.get(mime, "") + (data if isinstance(data, str) else "".join(data))
        if output["output_type"] == "error":
            found["error"] = f"{output['ename']}: {output['evalue']}"
    return found


@pytest.mark.slow
def test_the_example_notebook_runs_with_a_real_kernel_and_shows_tables_figures_and_the_section(tmp_path, monkeypatch):
    # As a student's Jupyter starts it: not with the file-only backend that nnlab's CLI sets for its own
    # process (tests before this one run the CLI in-process, and the kernel inherits the environment).
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # The notebook as it ships, its text unchanged, run from its own folder as a student's Jupyter runs
    # it: its CONFIG (../configs/quickstart.yaml) resolves beside that folder and its RESULTS land in
    # it. The folder is a copy in tmp_path, with the configs beside it, so nothing lands in the checkout.
    examples_before = sorted(p.name for p in EXAMPLE.parent.iterdir())
    (tmp_path / "examples").mkdir()
    shipped = tmp_path / "examples" / EXAMPLE.name
    shutil.copyfile(EXAMPLE, shipped)
    shutil.copytree(CONFIGS, tmp_path / "configs")
    notebook = nbformat.read(shipped, as_version=4)
    assert '"../configs/quickstart.yaml"' in notebook.cells[1].source  # the cell this test counts on
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(shipped.parent)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    first, variants, curves, bars, section, again, loaded = (outputs_of(c) for c in code[1:])
    assert "error" not in first, first.get("error")
    assert "trained 4 runs, 0 were already complete" in first["stream"]
    assert "<table" in variants["text/html"] and "units-16" in variants["text/html"] and "test_accuracy_mean" in variants["text/html"]
    assert "image/png" in curves and "image/png" in bars
    assert "What it found" in section["text/html"] and section["text/html"].count("data:image/png") >= 3
    assert "second call: trained 0 runs, 4 already complete" in again["stream"] and "error" not in again
    assert "nothing trained: all 4 runs were already complete" in again["stream"]
    assert "0run" not in json.dumps(again)  # no empty progress bar (issue 31)
    assert "units-64" in loaded["text/html"]
    # RESULTS ("results-notebook") is relative to the notebook's folder, as for a student.
    assert sorted(p.name for p in (shipped.parent / "results-notebook" / "quickstart").glob("units-*")) == ["units-16", "units-64"]
    assert sorted(p.name for p in EXAMPLE.parent.iterdir()) == examples_before


def test_a_second_run_of_a_finished_study_prints_a_sentence_not_an_empty_progress_bar(tmp_path, monkeypatch, capsys):
    """Issue 31: nnlab.run on a study whose every run is complete printed tqdm's "runs: 0run" bar
    before anything was known. Every run is made to look complete (the integrity check says so and
    writes the metrics it returns), so nothing trains and TensorFlow never loads."""
    pytest.importorskip("pandas")
    pytest.importorskip("tqdm")
    import nnlab
    from nnlab import integrity

    def complete(folder, key, warn=None):
        seed = int(folder.name.removeprefix("seed-"))
        metrics = train_metrics(study="quickstart", variant=folder.parent.name, seed=seed, run_key=key, status="ok",
                                best_epoch=1, test_accuracy=0.5, test_loss=1.0, best_val_loss=0.9, best_val_accuracy=0.6)
        (folder / "config.yaml").write_text("kind: train\n")
        (folder / "metrics.json").write_text(json.dumps(metrics))
        return metrics

    monkeypatch.setattr(integrity, "completed_metrics", complete)
    study = nnlab.run(CONFIGS / "quickstart.yaml", results=tmp_path / "results", seeds=2)
    shown = capsys.readouterr()
    assert (study.trained, study.skipped, len(study.runs)) == (0, 4, 4)
    assert "0run" not in shown.out + shown.err and "run/s" not in shown.out + shown.err  # no bar at all
    assert shown.out == "nothing trained: all 4 runs were already complete (force=True trains again)\n"
    assert shown.err == ""


def test_the_notebook_bar_counts_runs_found_complete_as_done_once_a_run_trains(capsys):
    pytest.importorskip("tqdm")
    from nnlab import progress

    with progress.Notebook() as display:
        display.expect(3)
        display({"kind": "end", "tag": "a", "status": "ok", "skipped": True, "text": "already complete"})
        assert capsys.readouterr() == ("", "")  # nothing shown until a run trains
        display({"kind": "start", "tag": "b"})
        display({"kind": "end", "tag": "c", "status": "locked", "text": "another process holds it: waiting"})
        display({"kind": "end", "tag": "b", "status": "ok", "text": "done"})
        display({"kind": "start", "tag": "c"})  # taken again once the other process let it go
        display({"kind": "end", "tag": "c", "status": "ok", "text": "done"})
    shown = capsys.readouterr()
    # No bar of "0run" (a rate such as 2.50run/s is tqdm's, and fine: the events here come in microseconds).
    assert not re.search(r"(?<![\d.])0run", shown.out + shown.err) and "nothing trained" not in shown.out
    assert "3/3" in shown.err and "2 trained, 1 already complete" in shown.err


def test_load_reads_a_finished_study_as_dataframes_without_training(tmp_path):
    pytest.importorskip("pandas")
    import nnlab

    for variant, accuracies in (("units-8", [0.5, 0.6]), ("units-16", [0.7, 0.8])):
        for seed, accuracy in enumerate(accuracies):
            folder = tmp_path / "pick" / variant / f"seed-{seed}"
            folder.mkdir(parents=True)
            (folder / "config.yaml").write_text("kind: train\n")
            (folder / "metrics.json").write_text(json.dumps(train_metrics(
                study="pick", variant=variant, seed=seed, run_key=f"{variant}{seed}", status="ok", best_epoch=3,
                test_accuracy=accuracy, test_loss=1.0, best_val_loss=0.9, best_val_accuracy=0.7)))
    study = nnlab.load(tmp_path / "pick")
    assert list(study.runs["variant"]) == ["units-16", "units-16", "units-8", "units-8"]  # by name: no summary.json
    assert list(study.runs["test_accuracy"]) == [0.7, 0.8, 0.5, 0.6]
    assert study.variants.loc["units-16", "test_accuracy_mean"] == pytest.approx(0.75)
    assert study.variants.loc["units-8", "test_accuracy_count"] == 2
    with pytest.raises(NnlabError):
        nnlab.load(tmp_path / "nothing")
