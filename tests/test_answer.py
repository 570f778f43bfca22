"""Issue 33, part: the report in the course's order, each part led by its answer table. Made-up
studies; nothing trains."""

import re
from pathlib import Path

import pytest

from nnlab.report import parts
from nnlab.report_data import StudyResults
from test_diagnostics import overfitting_at, units_study, write_study  # noqa: F401  (a fixture)
from test_sentences import TESTS, variant


def named(name: str) -> StudyResults:
    return StudyResults(name, Path("/nowhere"), [])


def test_the_parts_follow_the_course_not_the_alphabet():
    ordered = parts([named(n) for n in ("xor", "imdb_units", "zz_mine", "reuters_units", "poly_fit", "imdb_layers")])
    assert [(name, [s.name for s in members]) for name, _, members in ordered] == [
        ("chapter3", ["reuters_units", "imdb_layers", "imdb_units"]),  # the suite's order: the homework's
        ("course_script", ["poly_fit"]), ("course", ["xor"]), ("", ["zz_mine"])]
    # a part holding some of its suite's studies does not take the suite's title (it names MNIST, absent here)
    assert ordered[0][1].startswith("3 of the ") and "suite `chapter3`" in ordered[0][1] and "MNIST" not in ordered[0][1]
    assert ordered[-1][1] == "other studies"


def test_a_part_holding_its_whole_suite_takes_the_suites_title():
    """Even where some of its studies sit in an earlier part (course_script shares IMDB studies with
    chapter3): they are in the report, so the title names nothing absent."""
    from nnlab.report import _suite_studies

    suites = {name: _suite_studies(name) for name in ("chapter3", "course_script")}
    everything = {study for _, _, members in suites.values() for study in members}
    ordered = parts([named(n) for n in sorted(everything)])
    assert [(name, description) for name, description, _ in ordered] == [
        (name, f"{title} (suite `{name}`)") for name, title, _ in suites.values()]
    assert "chapter 3" in suites["chapter3"][1]


@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_the_answer_table_gives_each_variant_the_homeworks_answer():
    from nnlab.kinds.train.answer import ANSWER_HEADER, answer_rows

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
    assert "starts to overfit sooner" in w["why, from the curves"]
    assert rows["**base** (baseline)"]["better / worse?"] == "the baseline"


# --- the method once, the details folded (issue 33.3) --------------------------------------------

@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_the_method_is_said_once_in_how_to_read_and_every_section_links_to_it(tmp_path, units_study):  # noqa: F811
    import shutil

    from nnlab import report
    from nnlab.report_parts import HOW_TO_READ

    write_study(tmp_path, units_study, [{"variant": "wide", "source": "a student's notebook", "test_accuracy": "higher"}])
    shutil.copytree(tmp_path / "synth", tmp_path / "synth_again")  # a second study: its sections must not repeat the method
    markdown, page = report.build(tmp_path)
    text = markdown.read_text()
    for paragraph in ("Mean ± sample standard deviation over seeds", "A seed's curve *overfits* when",
                      "by a paired t-test where the seeds pair the runs", "*Welch's t-test*:", "*Holm*:",
                      "*prediction interval*:", "- *levelled off*,", "*multiply-adds*:", "Beside each comparison with the baseline"):
        assert text.count(paragraph) == 1, paragraph
    assert text.count(HOW_TO_READ) >= 2 * 3  # each section's tables, curves and tests link to it
    assert text.index("## How to read this report") > text.index("## synth_again")  # the answers come first

    # Each section's tables are one click away, and the HTML renders the Markdown inside the fold.
    assert text.count('<details markdown="1">') >= 2 * 3
    html = page.read_text()
    folded = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert "<summary>Each variant's figures" in folded and "<table>" in folded and "| variant |" not in folded


def test_the_validation_overlay_draws_every_seed_not_the_first_only():
    from nnlab import plots

    curve = lambda shift: {"val_loss": [1.0 - 0.1 * e + shift for e in range(5)], "val_accuracy": [0.5 + 0.05 * e for e in range(5)]}
    fig = plots.validation_overlay_seeds({"a": [(curve(0.0), 5), (curve(0.2), 4)], "b": [(curve(0.1), 3)]}, "t")
    loss = fig.axes[0]
    mean_a = next(line for line in loss.get_lines() if line.get_label().startswith("a ("))
    assert list(mean_a.get_ydata()) == pytest.approx([1.1 - 0.1 * e for e in range(5)])  # the mean of the two seeds
    assert mean_a.get_label() == "a (2 seeds)"
    assert len(loss.collections) == 1  # a band for a, none for b's one seed
    dots = [line for line in loss.get_lines() if line.get_marker() == "o"]
    assert sorted(len(d.get_xdata()) for d in dots) == [1, 2]  # each seed's best epoch
    plots.plt.close(fig)


# --- a site that opens at once (issue 33.5) ------------------------------------------------------

@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_the_site_has_an_index_with_the_answers_and_a_page_per_study_that_embeds_no_image(tmp_path, units_study):  # noqa: F811
    import shutil

    from nnlab import report

    write_study(tmp_path, units_study, [])
    shutil.copytree(tmp_path / "synth", tmp_path / "synth_again")
    report.build(tmp_path)
    site = tmp_path / "site"
    assert sorted(p.name for p in site.glob("*.html")) == ["appendix.html", "index.html", "synth.html", "synth_again.html"]
    index, page = (site / "index.html").read_text(), (site / "synth.html").read_text()
    assert "<h2 id=\"headline-the-variant-validation-chooses-per-study\">" in index
    assert 'href="synth.html#synth"' in index and "<h2 id=\"synth\">" not in index  # the section is on its own page
    assert 'href="appendix.html#how-to-read-this-report"' in page and 'href="index.html"' in page
    for html in [index, page]:
        assert "data:image" not in html
    images = re.findall(r"<img [^>]*>", page)
    assert images and all('loading="lazy"' in i and 'src="../report_assets/' in i for i in images)
    assert all((site / src).resolve().is_file() for src in re.findall(r'src="([^"]+)"', page))

    shutil.rmtree(tmp_path / "synth_again")  # a study gone from the results: its page goes too
    report.build(tmp_path)
    assert not (site / "synth_again.html").exists()


@pytest.mark.slow  # draws the report's figures
def test_the_report_measures_each_runs_curves_once_and_analyses_each_study_once(tmp_path, units_study, monkeypatch):  # noqa: F811
    """Issue 33.6: the section, the answer table, the headline and the claims all read one diagnosis
    per run and one analysis per study, instead of working them out again where each is needed."""
    from nnlab import conclusions, diagnostics, report

    write_study(tmp_path, units_study, [{"variant": "wide", "source": "a student's notebook", "test_accuracy": "higher",
                                         "overfitting": "more", "best_epoch": 4}])
    calls = {"diagnose": 0, "analyse": 0, "differences": 0}

    def counted(name, real):
        def call(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return call

    from nnlab.kinds.train import why

    measure = counted("diagnose", diagnostics.diagnose)  # wherever it is called from
    monkeypatch.setattr(diagnostics, "diagnose", measure)
    monkeypatch.setattr("nnlab.report_data.diagnose", measure)
    monkeypatch.setattr(conclusions, "_analyse", counted("analyse", conclusions._analyse))
    monkeypatch.setattr(why, "_differences", counted("differences", why._differences))
    report.build(tmp_path)
    runs = sum(len(v.runs) for v in units_study.variants)
    assert calls == {"diagnose": runs, "analyse": 1, "differences": 1}  # one study, one variant against its baseline
