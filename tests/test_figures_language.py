"""The figures `nnlab report` draws speak the report's language: in Chinese where matplotlib has a
Chinese font (its words from the catalogue, the file in report_assets/zh/), in English otherwise (the
English files, and the front page says why). Made-up studies; no training."""

import re
import warnings
from pathlib import Path

import pytest

from nnlab import i18n, plots, report, results
from nnlab.i18n import N_
from nnlab.kinds.train.report import _figures, _gap_figure
from test_diagnostics import overfitting_at, study_of, variant

CJK = re.compile(r"[\u4e00-\u9fff]")
needs_a_chinese_font = pytest.mark.skipif(plots.chinese_font() is None, reason="matplotlib knows no Chinese font here")


def study():
    base = variant("base", [overfitting_at(low, 0.02) for low in (8, 9, 8)], [0.790, 0.795, 0.792])
    wide = variant("wide", [overfitting_at(low, 0.05) for low in (4, 5, 4)], [0.780, 0.778, 0.783], units=128)
    return study_of(base, wide)


def texts(fig) -> list[str]:
    """Every word a figure shows: its titles, axis labels, tick labels, legends' entries and titles."""
    found = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        found += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend:
            found += [legend.get_title().get_text(), *(t.get_text() for t in legend.get_texts())]
    return [t for t in found if t.strip()]


@pytest.fixture
def drawn(tmp_path, monkeypatch):
    """The report's figures of a made-up study, in a language: {file, relative to the results folder: (figure's
    words, file's bytes)}, and the Markdown that shows them. Saving warns of no glyph missing from a font."""
    (tmp_path / "report_assets").mkdir()
    captured = {}
    save = results.save_figure

    def capture(fig, path):
        with warnings.catch_warnings(record=True) as heard:
            warnings.simplefilter("always")
            save(fig, path)
        assert not [w for w in heard if "missing from font" in str(w.message)], [str(w.message) for w in heard]
        captured[Path(path).relative_to(tmp_path).as_posix()] = (texts(fig), Path(path).read_bytes())

    monkeypatch.setattr(results, "save_figure", capture)

    def draw(lang: str):
        captured.clear()
        with i18n.language(lang):
            s = study()
            trivial = {N_("majority class"): 0.3, N_("guessing at the training-set frequencies"): 0.785}
            lines = _figures(tmp_path, s, trivial) + [_gap_figure(tmp_path, s)]
        return dict(captured), lines

    return draw


ENGLISH_WORDS = re.compile(r"\b(epoch|validation|training|seeds?|best|baseline|accuracy|loss|curves|test|variant)\b")


@needs_a_chinese_font
@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_in_chinese_the_figures_words_are_chinese_and_the_files_are_the_chinese_reports_own(drawn):
    figures, lines = drawn("zh")
    assert sorted(figures) == [f"report_assets/zh/synth-{name}.png" for name in
                               ("accuracy-curves", "generalisation-gap", "learning-curves", "test-accuracy", "validation")]
    assert all("](report_assets/zh/synth-" in line for line in lines)
    words = {name: found for name, (found, _png) in figures.items()}
    validation = words["report_assets/zh/synth-validation.png"]
    assert "synth：所有随机种子的验证集学习曲线" in validation and "验证集损失" in validation and "Epoch" in validation
    assert "base（3 个随机种子）" in validation
    bars = words["report_assets/zh/synth-test-accuracy.png"]
    assert "base（基线）" in bars and "按训练集频率随机猜（0.785）" in bars  # a reference on the axis, and one left of it:
    assert "测试集 Accuracy（答对的比例）\n在坐标轴左边以外：多数类 0.300" in bars
    assert "训练集损失" in words["report_assets/zh/synth-learning-curves.png"]
    for name, found in words.items():
        said = " ".join(found)
        assert CJK.search(said), name
        # Left in the Latin alphabet: the variants' and the study's names, epoch and Accuracy as the course writes them.
        assert not ENGLISH_WORDS.search(re.sub(r"\b(synth|base|wide|[Ee]poch|Accuracy)\b", "", said)), (name, said)


@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_in_english_the_figures_keep_their_english_words_and_files(drawn):
    figures, lines = drawn("en")
    assert sorted(figures) == [f"report_assets/synth-{name}.png" for name in
                               ("accuracy-curves", "generalisation-gap", "learning-curves", "test-accuracy", "validation")]
    assert all("](report_assets/synth-" in line for line in lines)
    validation = figures["report_assets/synth-validation.png"][0]
    assert "synth: validation curves over all seeds" in validation and "validation loss" in validation
    assert "Validation accuracy" in validation and "base (3 seeds)" in validation and "epoch" in validation
    bars = figures["report_assets/synth-test-accuracy.png"][0]
    assert "base (baseline)" in bars and "guessing at the training-set frequencies (0.785)" in bars
    assert "test accuracy (fraction correct)\nleft of the axis: majority class 0.300" in bars
    assert not any(CJK.search(" ".join(found)) for found, _png in figures.values())


@pytest.mark.slow  # renders a whole report with its figures: seconds
def test_without_a_chinese_font_the_chinese_reports_figures_are_the_english_ones_and_the_front_page_says_why(
        drawn, monkeypatch, tmp_path):
    english, _lines = drawn("en")
    monkeypatch.setattr(plots, "chinese_font", lambda: None)
    chinese, lines = drawn("zh")
    assert chinese == english  # the same words, the same bytes, the same files in report_assets/
    assert not (tmp_path / "report_assets" / "zh").exists()
    with i18n.language("zh"):
        front = "\n".join(report._front_page(tmp_path, [study()]))
    assert "图中的文字为英文，因为 matplotlib 找不到中文字体" in front and "fonts-noto-cjk" in front


@needs_a_chinese_font
def test_the_chinese_front_page_says_the_figures_are_chinese_where_they_are(tmp_path):
    with i18n.language("zh"):
        front = "\n".join(report._front_page(tmp_path, [study()]))
    assert "报告所画的图中的文字也是中文" in front and "matplotlib" not in front
    english = "\n".join(report._front_page(tmp_path, [study()]))
    assert "labels of the figures" not in english and "matplotlib" not in english  # English says nothing of it


def test_the_figures_words_and_titles_are_in_the_catalogue():
    """plots._ and plots._() at the call sites are found by the extractor (tests/test_i18n.py checks each is translated)."""
    from test_i18n import marked_messages

    messages = set(marked_messages())
    assert {"{study}: test accuracy (mean ± sd over seeds)", "validation loss", "{title} (one line per seed)",
            "variant: mean over seeds\nband: lowest to highest seed\n● each seed's best epoch",
            "{study}: best {metric} found after k trials (mean over search seeds, band: their range)"} <= messages


def test_the_font_lookup_prefers_the_listed_order(monkeypatch):
    from types import SimpleNamespace as Font

    plots.chinese_font.cache_clear()
    try:
        monkeypatch.setattr(plots.font_manager.fontManager, "ttflist",
                            [Font(name="DejaVu Sans"), Font(name="SimHei"), Font(name="WenQuanYi Zen Hei")])
        assert plots.chinese_font() == "WenQuanYi Zen Hei"
        plots.chinese_font.cache_clear()
        monkeypatch.setattr(plots.font_manager.fontManager, "ttflist", [Font(name="DejaVu Sans")])
        assert plots.chinese_font() is None and not plots.speaks("zh") and plots.speaks("en")
    finally:
        plots.chinese_font.cache_clear()
