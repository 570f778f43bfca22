"""Issue 37: the classroom. A handout fixes what a complete submission is; `nnlab submit` checks a
student's runs before it packs them; `nnlab grade` checks a class against the teacher's runs. A made-up
class of real tiny runs: one honest student and one for each way of cheating, each flagged for its
own reason while the honest one is clean."""

import hashlib
import json
import shutil
import zipfile

import pytest
import yaml
from click.testing import CliRunner

from conftest import BASE
from nnlab.cli import main
from nnlab.handout import read

# 6 epochs of 32 or 64 units: the seeds' test accuracies within about a point of each other on the sample
STUDY = BASE.replace("epochs: 2", "epochs: 6") + "seeds: [0, 1, 2, 3]\nbaseline: units-32\ngrid:\n  model.units: [32, 64]\n"
CLASS = ["honest", "peeker", "editor", "forger", "tinkerer", "copier"]


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def test_a_handout_gives_each_student_seeds_of_their_own_and_a_manifest_of_the_runs(tmp_path, write_config):
    config = write_config(STUDY)
    (tmp_path / "class.txt").write_text("\n".join(CLASS) + "\n")
    out = invoke("assign", config, "--out", tmp_path / "handout", "--students", tmp_path / "class.txt", "--seeds-per-student", 2)
    assert out.exit_code == 0, out.output
    manifest = read(tmp_path / "handout")
    assert manifest["students"]["honest"] == [0, 1] and manifest["students"]["copier"] == [10, 11]
    assert set(manifest["studies"]["tiny"]["variants"]) == {"units-32", "units-64"}
    mine = yaml.safe_load((tmp_path / "handout" / "students" / "peeker" / "configs" / "tiny.yaml").read_text())
    assert mine["seeds"] == [2, 3]
    assert "nnlab==" in (tmp_path / "handout" / "requirements.txt").read_text()
    zh = invoke("assign", "imdb_loss", "--out", tmp_path / "zh", "--lang", "zh")
    assert zh.exit_code == 0, zh.output
    readme = (tmp_path / "zh" / "README.md").read_text()
    assert "## 要做什么" in readme and "IMDB 影评，二元交叉熵（基线）对比均方误差" in readme and "变坏了" in readme
    again = invoke("assign", config, "--out", tmp_path / "handout")
    assert again.exit_code != 0 and "already exists" in again.output


def force_zip(results, student, handout, out):
    """A submission written by hand, as a student who skips `nnlab submit`'s checks would."""
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("submission.json", json.dumps({"student": student, "handout": __import__("nnlab.handout").handout.digest(handout)}))
        for file in results.rglob("*"):
            if file.is_file() and "seed-" in str(file.parent.name):
                z.write(file, "runs/" + str(file.relative_to(results)))
        if (results / "answers.yaml").is_file():
            z.write(results / "answers.yaml", "answers.yaml")


@pytest.mark.slow
def test_a_class_of_five_is_graded_and_each_cheat_is_flagged_for_its_own_reason(tmp_path, write_config):
    config = write_config(STUDY)
    reference = tmp_path / "reference"
    assert invoke("run", config, "--results", reference, "--quiet").exit_code == 0
    (tmp_path / "class.txt").write_text("\n".join(CLASS) + "\n")
    handout = tmp_path / "handout"
    assert invoke("assign", config, "--out", handout, "--students", tmp_path / "class.txt", "--seeds-per-student", 2).exit_code == 0

    def run(student, edit=None):
        mine = handout / "students" / student / "configs" / "tiny.yaml"
        if edit:
            text = yaml.safe_load(mine.read_text())
            edit(text)
            mine = tmp_path / f"{student}.yaml"
            mine.write_text(yaml.safe_dump(text))
        results = tmp_path / student
        out = invoke("run", mine, "--results", results, "--quiet")
        assert out.exit_code == 0, out.output
        return results

    # honest: runs what was asked, answers, submits through the checks
    (tmp_path / "answers.yaml").write_text("- {study: tiny, variant: units-64, best_epoch: 6, why: still improving}\n")
    honest = run("honest")
    out = invoke("submit", "--handout", handout, "--results", honest, "--student", "honest", "--answers",
                 tmp_path / "answers.yaml", "--out", tmp_path / "honest.zip")
    assert out.exit_code == 0, out.output
    # peeker: chose the epoch on the test set (the course's script's way)
    peeker = run("peeker", lambda c: c.update(protocol="course", validation={"split": "test"}, retrain=False))
    refused = invoke("submit", "--handout", handout, "--results", peeker, "--student", "peeker", "--out", tmp_path / "p.zip")
    assert refused.exit_code == 1 and "trained another config than the handout's" in refused.output
    assert not (tmp_path / "p.zip").exists()
    force_zip(peeker, "peeker", handout, tmp_path / "peeker.zip")
    # editor: a better test accuracy typed into metrics.json after the run
    editor = run("editor")
    edited = editor / "tiny" / "units-64" / "seed-4" / "metrics.json"
    edited.write_text(edited.read_text().replace('"test_accuracy": 0.', '"test_accuracy": 0.9'))
    (editor / "answers.yaml").write_text("- {study: tiny, variant: units-64, verdict: worse}\n")
    force_zip(editor, "editor", handout, tmp_path / "editor.zip")
    # forger: the same edit, with checksums.sha256 written again to match
    forger = run("forger")
    run_folder = forger / "tiny" / "units-64" / "seed-6"
    metrics = json.loads((run_folder / "metrics.json").read_text())
    (run_folder / "metrics.json").write_text(json.dumps({**metrics, "test_accuracy": 0.99}))
    sums = {line.split()[1]: line.split()[0] for line in (run_folder / "checksums.sha256").read_text().splitlines()}
    sums["metrics.json"] = hashlib.sha256((run_folder / "metrics.json").read_bytes()).hexdigest()
    (run_folder / "checksums.sha256").write_text("".join(f"{h}  {n}\n" for n, h in sums.items()))
    force_zip(forger, "forger", handout, tmp_path / "forger.zip")
    # tinkerer: a different net than asked (32 units where the handout says 8)
    tinkerer = run("tinkerer", lambda c: (c["grid"].update({"model.units": [128, 64]}), c.update(baseline="units-128")))
    shutil.move(tinkerer / "tiny" / "units-128", tinkerer / "tiny" / "units-32")
    force_zip(tinkerer, "tinkerer", handout, tmp_path / "tinkerer.zip")
    # copier: hands in the honest student's runs under their own name
    force_zip(honest, "copier", handout, tmp_path / "copier.zip")

    zips = [tmp_path / f"{name}.zip" for name in CLASS]
    out = invoke("grade", *zips, "--handout", handout, "--reference", reference, "--out", tmp_path / "grades")
    assert out.exit_code == 0, out.output
    rows = {line.split(" | ")[0].strip("| "): line for line in out.output.splitlines() if line.startswith("| ")}
    assert rows["honest"].endswith("| clean |")
    for name in ("peeker", "editor", "forger", "tinkerer", "copier"):
        assert rows[name].endswith("| **look** |"), rows[name]
    text = out.output
    assert "- protocol: tiny/units-32 seed 2: the epoch was chosen on the test set" in text
    assert "- intact: tiny/units-64 seed 4:" in text and "checksum" in text.split("- intact: tiny/units-64 seed 4:")[1].split("\n")[0]
    assert "- answers: tiny/units-64: says worse; the reference's seeds say " in text
    assert "- figures: tiny/units-64 seed 6: test accuracy 0.9900," in text and "further out than half the band's width" in text
    assert "- as asked: tiny/units-32 seed 8: model.units 128 (asked: 32)" in text
    assert "- copies: 4 run records identical to honest's (e.g. tiny/units-32 seed 0), of honest's seeds" in text
    assert "- complete: tiny/units-32 seed 10 missing" in text
    assert "**honest**" not in text  # the one whose seeds they are is not named for it
    for name in ("grade.md", "grade.csv", "class.png"):
        assert (tmp_path / "grades" / name).is_file()
    # a student's own check before submitting: against a report's summary.csv alone (the committed report keeps no run folders)
    summary_only = tmp_path / "committed" / "tiny"
    summary_only.mkdir(parents=True)
    shutil.copy(reference / "tiny" / "summary.csv", summary_only)
    mine = invoke("grade", tmp_path / "honest.zip", tmp_path / "forger.zip", "--handout", handout, "--reference", tmp_path / "committed")
    assert mine.exit_code == 0, mine.output
    rows = {line.split(" | ")[0].strip("| "): line for line in mine.output.splitlines() if line.startswith("| ")}
    assert rows["honest"].endswith("| clean |") and rows["forger"].endswith("| **look** |")
    # --rerun: each run trained again here from its recorded config and seed; the forged figure does not come back
    again = invoke("grade", tmp_path / "honest.zip", tmp_path / "forger.zip", "--handout", handout, "--reference", reference,
                   "--rerun", 4)
    assert again.exit_code == 0, again.output
    rows = {line.split(" | ")[0].strip("| "): line for line in again.output.splitlines() if line.startswith("| ")}
    assert rows["honest"].endswith("| clean |") and "- rerun: tiny/units-64 seed 6" in again.output
