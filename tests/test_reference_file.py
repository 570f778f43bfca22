"""Issue 35: a student's own notebook figures, from a small file of theirs, checked against the runs by
`nnlab report --references FILE` without editing the study config."""

import pytest
from click.testing import CliRunner

from nnlab.cli import main
from nnlab.errors import ConfigError
from nnlab.reference_file import load

NOTEBOOK = """\
source: "Li Hua's notebook (one run each)"
figures:
  - {study: tiny, variant: units-16, said: "best around epoch 2", best_epoch: 2}
  - {study: tiny, variant: units-16, source: "the book", test_accuracy: [0.0, 1.0]}
"""


def test_a_notebook_file_gives_each_study_its_figures_with_the_files_source_unless_a_figure_has_its_own(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(NOTEBOOK)
    figures = load(path)["tiny"]
    assert [f["source"] for f in figures] == ["Li Hua's notebook (one run each)", "the book"]
    assert figures[0]["best_epoch"] == 2 and "study" not in figures[0]


@pytest.mark.parametrize("text, message", [
    ("figures: []\n", "figures: give a list"),
    ("sources: x\nfigures: [{study: tiny, variant: a, best_epoch: 2}]\n", r"sources: not a key of a references file \(did you mean 'source'\?\)"),
    ("figures: [{variant: a, best_epoch: 2}]\n", r"figures\[0\].study: name the study"),
    ("figures: [{study: tiny, variant: a, best_epoch: soon}]\n", r"figures\[0\].best_epoch: .*a figure is a number"),
    ("figures: [{study: tiny, variant: a, best_epok: 2}]\n", r"figures\[0\].best_epok"),
])
def test_a_bad_notebook_file_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"mine.yaml: {message}"):
        load(path)


@pytest.mark.slow
def test_report_checks_a_notebook_files_figures_in_the_studys_claims_table(tmp_path, write_config):
    from conftest import BASE

    results = tmp_path / "results"
    config = write_config(BASE + "seeds: [0, 1]\ngrid:\n  model.units: [8, 16]\n")
    assert CliRunner().invoke(main, ["run", str(config), "--results", str(results)]).exit_code == 0
    notebook = tmp_path / "mine.yaml"
    notebook.write_text(NOTEBOOK)
    out = CliRunner().invoke(main, ["report", "--results", str(results), "--references", str(notebook)])
    assert out.exit_code == 0, out.output
    assert "2 figures checked in the claims table of tiny" in out.output
    report = (results / "report.md").read_text()
    assert "Li Hua's notebook (one run each)" in report and "best around epoch 2" in report
    assert not (results / "tiny" / "references.json").exists()  # the study's own record is left as its config gave it
    notebook.write_text(NOTEBOOK.replace("study: tiny, variant: units-16, said", "study: tinny, variant: units-16, said"))
    refused = CliRunner().invoke(main, ["report", "--results", str(results), "--references", str(notebook)])
    assert refused.exit_code != 0 and "study 'tinny' is not among the results" in refused.output
    assert "did you mean 'tiny'?" in refused.output
