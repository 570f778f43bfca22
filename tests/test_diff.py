"""`nnlab diff A B`: the same variants in two results folders, side by side, with the difference and
whether it is within seed noise."""

import json

from click.testing import CliRunner

from conftest import train_metrics
from nnlab.cli import main


def results_folder(root, accuracies: dict[str, list[float]]):
    for variant, values in accuracies.items():
        for seed, value in enumerate(values):
            folder = root / "study" / variant / f"seed-{seed}"
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps(
                train_metrics(study="study", variant=variant, seed=seed, status="ok", test_accuracy=value, run_key="k")))
    return root


def row(output: str, variant: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"study/{variant} "))


def test_diff_says_per_variant_whether_the_difference_is_within_seed_noise(tmp_path):
    a = results_folder(tmp_path / "a", {"same": [0.80, 0.81, 0.82], "moved": [0.70, 0.71, 0.72],
                                        "noisy": [0.70, 0.80, 0.75], "alone": [0.5, 0.6], "one": [0.5]})
    b = results_folder(tmp_path / "b", {"same": [0.80, 0.81, 0.82], "moved": [0.80, 0.81, 0.82],
                                        "noisy": [0.72, 0.78, 0.77], "one": [0.6]})
    result = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert row(result.output, "same").endswith("identical, seed for seed")
    moved = row(result.output, "moved")
    assert "0.7100 ± 0.0100 (3)" in moved and "0.8100 ± 0.0100 (3)" in moved and "+0.1000" in moved
    assert "beyond seed noise" in moved
    assert "within seed noise" in row(result.output, "noisy")
    assert row(result.output, "one").endswith("one seed on a side: no estimate of seed noise")
    assert "Not compared: study/alone (only in A)." in result.output


def test_diff_refuses_folders_with_nothing_in_common(tmp_path):
    a = results_folder(tmp_path / "a", {"x": [0.5]})
    (tmp_path / "b").mkdir()
    result = CliRunner().invoke(main, ["diff", str(a), str(tmp_path / "b")])
    assert result.exit_code == 1 and "share no finished variant" in result.output


# --- the committed report: summary.csv per study, no run folders ----------------------------------

SUMMARY_HEADER = ("variant,seed,status,best_epoch,best_val_loss,best_val_accuracy,test_loss,test_accuracy,epochs_run,"
                  "diverged_epoch,train_examples,validation_examples,test_examples,wall_time_s")


def committed_folder(root, studies: dict[str, dict[str, list[float | None]]], test_examples: int = 10000):
    """A results folder as git keeps it: per study only summary.csv (as results.write_summary writes
    it: Python's own text of each float) and variants.csv. None: a diverged seed, no test figures."""
    for study, accuracies in studies.items():
        (root / study).mkdir(parents=True)
        lines = [SUMMARY_HEADER]
        for variant, values in accuracies.items():
            for seed, value in enumerate(values):
                if value is None:
                    lines.append(f"{variant},{seed},diverged,,,,,,3,3,50000,10000,{test_examples},1.5")
                else:
                    lines.append(f"{variant},{seed},ok,4,0.3,0.9,0.25,{value!r},20,,50000,10000,{test_examples},40.1")
        (root / study / "summary.csv").write_text("\n".join(lines) + "\n")
        (root / study / "variants.csv").write_text("variant,runs,n,not_ok,test_accuracy_mean\n")
    return root


def test_diff_reads_the_committed_summaries_against_run_folders(tmp_path):
    a = committed_folder(tmp_path / "results", {"study": {"same": [0.9816, 0.9821, 0.9809], "moved": [0.70, 0.71, 0.72],
                                                          "diverged": [0.5, None, 0.6]}})
    b = results_folder(tmp_path / "mine", {"same": [0.9816, 0.9821, 0.9809], "moved": [0.80, 0.81, 0.82],
                                           "diverged": [0.5, 0.55, 0.6]})
    result = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"A: {a} (committed summaries: summary.csv per study)"
    assert lines[1] == f"B: {b} (run folders)"
    assert "share no finished variant" not in result.output
    assert row(result.output, "same").endswith("identical, seed for seed")
    moved = row(result.output, "moved")
    assert "0.7100 ± 0.0100 (3)" in moved and "0.8100 ± 0.0100 (3)" in moved and "beyond seed noise" in moved
    assert "0.5500 ± 0.0707 (2)" in row(result.output, "diverged")  # the diverged seed has no test accuracy
    # 3 same + 3 moved + 2 diverged-variant seeds both sides tested; seeds 0 and 2 of "diverged" equal
    assert lines[-1].startswith("B reproduces A exactly on 5 of 8 shared runs (same seed, same test accuracy to every digit stored")
    assert "largest difference 0.1000" in lines[-1] and "(study/moved seed " in lines[-1]


def test_diff_reads_summaries_on_both_sides_and_says_when_b_reproduces_a(tmp_path):
    a = committed_folder(tmp_path / "a", {"study": {"x": [0.88712, 0.88228, 0.88388], "y": [0.7934105075690115, 0.8]},
                                          "other": {"z": [0.5, 0.6]}}, test_examples=25000)
    b = committed_folder(tmp_path / "b", {"study": {"x": [0.88712, 0.88228, 0.88388], "y": [0.7934105075690115, 0.8]},
                                          "other": {"z": [0.5, 0.6]}}, test_examples=25000)
    result = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == f"B: {b} (committed summaries: summary.csv per study)"
    assert len(lines) > 7 and all(line.endswith("identical, seed for seed") for line in lines[4:7])
    assert lines[-1] == ("B reproduces A exactly on all 7 shared runs (same seed, same test accuracy to every digit "
                         "stored: summary.csv keeps the full number, as metrics.json does).")

    # One test example of 25,000 apart on one seed (0.00004): not exactly, and said at its size.
    summary = b / "study" / "summary.csv"
    summary.write_text(summary.read_text().replace(",0.88228,", ",0.88232,"))
    last = CliRunner().invoke(main, ["diff", str(a), str(b)]).output.splitlines()[-1]
    assert last.startswith("B reproduces A exactly on 6 of 7 shared runs")
    assert last.endswith("largest difference 0.000040, 1 of 25000 test examples (study/x seed 1: A 0.882280, B 0.882320).")


def test_diff_prefers_run_folders_and_names_the_studies_read_from_summaries(tmp_path):
    a = committed_folder(tmp_path / "a", {"study": {"x": [0.1, 0.1]}, "kept": {"x": [0.5, 0.6]}})
    results_folder(a, {"x": [0.8, 0.9]})  # run folders of "study" beside its (older) summary.csv
    b = committed_folder(tmp_path / "b", {"study": {"x": [0.8, 0.9]}, "kept": {"x": [0.5, 0.6]}})
    result = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"A: {a} (run folders; summary.csv for the studies without: kept)"
    assert row(result.output, "x").endswith("identical, seed for seed")  # the run folders', not 0.1

    for study in ("more", "still_more"):  # most studies from summary.csv: the header names the others
        committed_folder(a, {study: {"x": [0.5]}})
    header = CliRunner().invoke(main, ["diff", str(a), str(b)]).output.splitlines()[0]
    assert header == f"A: {a} (committed summaries: summary.csv per study; run folders for study)"


def test_diff_skips_summaries_without_test_accuracy_and_names_unreadable_ones(tmp_path):
    a = committed_folder(tmp_path / "a", {"study": {"x": [0.5, 0.6]}})
    b = committed_folder(tmp_path / "b", {"study": {"x": [0.5, 0.7]}})
    for root in (a, b):  # a kind whose summary has no test accuracy (none writes summary.csv today)
        (root / "xor").mkdir()
        (root / "xor" / "summary.csv").write_text("variant,seed,status,final_loss\nrelu,0,ok,0.01\n")
    (b / "broken").mkdir()
    (b / "broken" / "summary.csv").write_text("variant,test_accuracy\nx,0.5\n")
    result = CliRunner().invoke(main, ["diff", str(a), str(b)])
    assert result.exit_code == 0, result.output
    assert "xor" not in result.output
    assert f"{b}/broken/summary.csv (no seed, status column)" in result.output
    assert result.output.splitlines()[-1].startswith("B reproduces A exactly on 1 of 2 shared runs")


def test_diff_of_folders_with_neither_run_folders_nor_summaries_says_so(tmp_path):
    a = committed_folder(tmp_path / "a", {"study": {"x": [0.5]}})
    (tmp_path / "b" / "study").mkdir(parents=True)
    (tmp_path / "b" / "study" / "variants.csv").write_text("variant,runs\n")
    result = CliRunner().invoke(main, ["diff", str(a), str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "share no finished variant" in result.output
    assert f"{tmp_path / 'b'} holds neither run folders nor summary.csv files" in result.output


def test_diff_of_a_study_folder_instead_of_a_results_folder_says_so(tmp_path):
    a = committed_folder(tmp_path / "a", {"study": {"x": [0.5]}})
    result = CliRunner().invoke(main, ["diff", str(a), str(a / "study")])
    assert result.exit_code == 1
    assert f"{a / 'study'} is a study's folder: give the results folder above it" in result.output
