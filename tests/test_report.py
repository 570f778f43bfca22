"""The report is built from the run folders alone: its numbers follow the metrics files."""

import base64
import json
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import BASE, record_metrics
from nnlab import report
from nnlab.cli import main
from nnlab.errors import ConfigError, NnlabError
from nnlab.suites import load_suite

pytestmark = pytest.mark.slow  # a real suite runs once for the module


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A tiny two-variant study, two seeds each, run once for all tests here."""
    root = tmp_path_factory.mktemp("report")
    config = root / "tiny.yaml"
    config.write_text(BASE + "seeds: [0, 1]\nbaseline: units-8\ngrid: {model.units: [4, 8]}\n")
    result = CliRunner().invoke(main, ["run", str(config), "--results", str(root / "results")])
    assert result.exit_code == 0, result.output
    return root / "results"


@pytest.fixture
def results_copy(finished, tmp_path):
    target = tmp_path / "results"
    shutil.copytree(finished, target)
    return target


def metrics(root, variant, seed):
    return json.loads((root / "tiny" / variant / f"seed-{seed}" / "metrics.json").read_text())


def table_row(text: str, variant: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {variant} ") or line.startswith(f"| **{variant}**"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_the_table_shows_mean_and_sd_over_seeds_from_the_metrics_files(results_copy):
    md, _ = report.build(results_copy)
    text = md.read_text()
    accs = [metrics(results_copy, "units-4", s)["test_accuracy"] for s in (0, 1)]
    mean = sum(accs) / 2
    sd = abs(accs[0] - accs[1]) / 2 ** 0.5
    row = table_row(text, "units-4")
    assert row[5] == f"{mean:.4f} ± {sd:.4f}" and row[6] == "2/2"
    assert table_row(text, "units-8")[0] == "**units-8** (baseline)"


def test_the_reports_numbers_are_the_ones_the_runs_recorded(results_copy):
    record_metrics(results_copy / "tiny" / "units-4" / "seed-0", test_accuracy=0.123456)
    md, _ = report.build(results_copy)
    other = metrics(results_copy, "units-4", 1)["test_accuracy"]
    assert table_row(md.read_text(), "units-4")[5].startswith(f"{(0.123456 + other) / 2:.4f}")


def test_a_hand_edited_metrics_file_is_left_out_with_a_warning(results_copy):
    path = results_copy / "tiny" / "units-4" / "seed-0" / "metrics.json"
    data = json.loads(path.read_text())
    data["test_accuracy"] = 0.123456
    path.write_text(json.dumps(data))
    warnings = []
    md, _ = report.build(results_copy, warn=warnings.append)
    assert len(warnings) == 1 and f"{path}: differs from what the run recorded" in warnings[0]
    assert table_row(md.read_text(), "units-4")[6] == "1/1"


def test_each_variant_gets_a_generated_comparison_with_the_baseline(results_copy):
    text = report.build(results_copy)[0].read_text()
    sentence = next(line for line in text.splitlines() if line.startswith("- **units-4** vs units-8"))
    assert "95% CI" in sentence and "Welch's two-sample t-test over seeds" in sentence
    assert "adjusted" not in sentence  # one comparison: nothing to adjust for, and no word that suggests it
    # Two seeds a side: a verdict, and in words why no detectable difference is quoted.
    verdict = sentence.split(" Best epoch")[0]  # the best epochs follow, then a note where most seeds chose the last
    assert verdict.endswith("beyond seed noise.") or verdict.endswith(
        "not distinguishable from seed noise (2 seeds: too few to state a detectable difference).")


def test_the_front_page_counts_runs_and_names_the_environment_and_trivial_baselines(results_copy):
    text = report.build(results_copy)[0].read_text()
    assert "- Runs: 4 (4 ok)" in text and "- Variants: 2; seeds: 0, 1" in text
    assert "| tiny | **units-" in text and "TensorFlow:" in text
    counts = metrics(results_copy, "units-4", 0)
    train, test = counts["train_label_counts"], counts["test_label_counts"]
    majority = test[train.index(max(train))] / sum(test)
    assert f"majority class {majority:.4f}" in text


def test_each_study_opens_with_what_it_asks_and_what_it_found_linked_from_the_contents(results_copy):
    md, html = report.build(results_copy)
    text = md.read_text()
    assert "- [tiny](#tiny)" in text
    section = text[text.index("\n## tiny"):]
    asks, found = (next(line for line in section.splitlines() if line.startswith(f"**What it {w}:**")) for w in ("asks", "found"))
    best = min(("units-4", "units-8"), key=lambda v: sum(metrics(results_copy, v, s)["best_val_loss"] for s in (0, 1)))
    assert f"**{best}** comes first" in found and "by the validation split" in found
    assert 'id="tiny"' in html.read_text() and 'href="#tiny"' in html.read_text()


def test_the_html_page_is_self_contained_with_every_image(results_copy):
    md, html = report.build(results_copy)
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md.read_text())
    # the train-validation gap, bars, validation, loss and accuracy curves
    assert len(linked) == 5 and all((results_copy / p).is_file() for p in linked)
    page = html.read_text()
    images = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(linked)
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert "<table>" in page and 'src="report_assets' not in page


def test_failed_runs_are_shown_not_hidden(results_copy):
    run = results_copy / "tiny" / "units-4" / "seed-1"
    record_metrics(run, status="diverged", diverged_epoch=2, test_accuracy=None, best_epoch=None)
    text = report.build(results_copy)[0].read_text()
    assert "- Runs: 4 (3 ok, 1 diverged)" in text
    assert "units-4 seed 1: diverged at epoch 2" in text
    assert table_row(text, "units-4")[6] == "1/2"
    assert "Only one seed finished on a side (seed 1: diverged at epoch 2), so there is no estimate of seed noise" in text


def test_an_empty_results_folder_is_an_error(tmp_path):
    with pytest.raises(NnlabError, match="holds no finished runs"):
        report.build(tmp_path)


def test_the_suite_manifest_runs_its_studies_with_its_seeds(tmp_path, write_config):
    write_config(BASE, "a.yaml")
    manifest = write_config("name: s\nseeds: 2\nstudies: [a.yaml]\n", "suite.yaml")
    suite, studies = load_suite(manifest)
    assert suite.seed_list == [0, 1] and studies[0].seeds == [0, 1]
    with pytest.raises(ConfigError, match=r"studie: unknown key \(did you mean 'studies'\?\)"):
        load_suite(write_config("name: s\nseeds: 2\nstudie: [a.yaml]\n", "bad.yaml"))


def test_importing_the_report_leaves_a_notebooks_plotting_backend_alone():
    # Not slow in itself, but it lives with the report tests; a subprocess is a fresh interpreter.
    code = ("import matplotlib; matplotlib.use('svg'); import nnlab.report, nnlab.runner, nnlab.plots; "
            "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_fenced_block_keeps_its_lines_in_the_html():
    """A learned solution or the course's printout is a ``` block: one line per line, not one paragraph."""
    from nnlab.report_html import _body

    html = _body("Learned weights:\n\n```\nhidden 0: w = [1, -1]\nhidden 1: w = [-1, 1]\n```\n")
    assert "<pre><code>hidden 0: w = [1, -1]\nhidden 1: w = [-1, 1]\n</code></pre>" in html
