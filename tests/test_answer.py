"""Issue 33, part: the report in the course's order, each part led by its answer table. Made-up
studies; nothing trains."""

from pathlib import Path

from nnlab.report import parts
from nnlab.report_data import StudyResults
from test_diagnostics import overfitting_at
from test_sentences import TESTS, variant


def named(name: str) -> StudyResults:
    return StudyResults(name, Path("/nowhere"), [])


def test_the_parts_follow_the_course_not_the_alphabet():
    ordered = parts([named(n) for n in ("xor", "imdb_units", "zz_mine", "reuters_units", "poly_fit", "imdb_layers")])
    assert [(name, [s.name for s in members]) for name, _, members in ordered] == [
        ("chapter3", ["reuters_units", "imdb_layers", "imdb_units"]),  # the suite's order: the homework's
        ("course_script", ["poly_fit"]), ("course", ["xor"]), ("", ["zz_mine"])]
    assert "chapter 3" in ordered[0][1] and ordered[-1][1] == "other studies"


def test_the_answer_table_gives_each_variant_the_homeworks_answer():
    from nnlab.kinds.train.report import ANSWER_HEADER, answer_rows

    base = variant("base", [overfitting_at(8, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
    wide = variant("wide", [overfitting_at(4, 0.06, wobble=w) for w in (0, 0.01, -0.01, 0.005)], [0.70, 0.71, 0.69, 0.70],
                   model__units=128)
    for run in base.runs + wide.runs:
        run.metrics.update(train_examples=7982, validation_examples=1000, best_epoch=run.metrics["best_epoch"])
    rows = {row[1]: dict(zip(ANSWER_HEADER, row)) for row in answer_rows(StudyResults("synth", Path("/nowhere"), [base, wide]))}
    w = rows["wide"]
    assert w["what changed"] == "model.units 128 (baseline 64)"
    assert w["best epoch (each seed)"].endswith("(4, 4, 4, 4)")
    assert w["test accuracy, retrained (examples)"].endswith("(on 8,982)")
    assert w["better / worse?"].startswith("**worse**") and w["against the baseline (95% CI)"].startswith("-10.0 pts")
    assert "overfits sooner" in w["why, from the curves"]
    assert rows["**base** (baseline)"]["better / worse?"] == "the baseline"
