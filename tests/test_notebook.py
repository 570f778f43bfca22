"""Issue 24, part: nnlab in a notebook. examples/chapter3.ipynb runs headless with a real Jupyter
kernel (nbclient + ipykernel), its outputs hold the tables and figures, and its second nnlab.run
trains nothing; nnlab.load reads a finished study without training."""

import json
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
    notebook = nbformat.read(EXAMPLE, as_version=4)
    notebook.cells[1].source = f'CONFIG = "{CONFIGS / "quickstart.yaml"}"\nRESULTS = "{tmp_path / "results"}"'
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    first, variants, curves, bars, section, again, loaded = (outputs_of(c) for c in code[1:])
    assert "trained 4 runs, 0 were already complete" in first["stream"]
    assert "<table" in variants["text/html"] and "units-16" in variants["text/html"] and "test_accuracy_mean" in variants["text/html"]
    assert "image/png" in curves and "image/png" in bars
    assert "What it found" in section["text/html"] and section["text/html"].count("data:image/png") >= 3
    assert "second call: trained 0 runs, 4 already complete" in again["stream"] and "error" not in again
    assert "units-64" in loaded["text/html"]


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
