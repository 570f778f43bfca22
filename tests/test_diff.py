"""`nnlab diff A B`: the same variants in two results folders, side by side, with the difference and
whether it is within seed noise."""

import json

from click.testing import CliRunner

from nnlab.cli import main


def results_folder(root, accuracies: dict[str, list[float]]):
    for variant, values in accuracies.items():
        for seed, value in enumerate(values):
            folder = root / "study" / variant / f"seed-{seed}"
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps(
                {"study": "study", "variant": variant, "seed": seed, "status": "ok", "test_accuracy": value, "run_key": "k"}))
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
