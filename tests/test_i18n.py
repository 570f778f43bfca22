"""Issue 33.7: `nnlab report --lang zh`, the same report and the same numbers in the course's Chinese,
through a gettext catalogue. Made-up studies; the fast tests draw nothing."""

import re
import string
from pathlib import Path

import pytest

from nnlab import i18n
from nnlab.i18n import _

SRC = Path(i18n.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def marked_messages() -> list[str]:
    """Every message the source and the templates mark with _() or N_(), and the shipped configs'
    descriptions, as `pybabel extract -F src/nnlab/locale/babel.cfg -k _ -k N_` finds them."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(SRC / "locale" / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    return sorted({message for _file, _line, message, _comments, _context in
                   extract_from_dir(str(SRC), keywords={"_": None, "N_": None}, method_map=method_map, options_map=options_map)
                   if isinstance(message, str) and message})


def test_the_templates_messages_are_found():
    """A sentence moved from Python into a template stays in the catalogue's reach."""
    assert "**How each variant learned** (its validation-phase curves, mean ± sd over seeds; the measures and the words " \
           "overfits, levelled off, still improving and flat: {how_to_read})." in marked_messages()


def test_the_shipped_studies_descriptions_are_messages():
    """A study's description is its section's "What it asks": the shipped ones are in the catalogue."""
    from nnlab import yaml_strict

    description = yaml_strict.load((SRC / "shipped" / "configs" / "reuters_units.yaml").read_text())["description"]
    assert description in marked_messages()


def fields(message: str) -> set[str]:
    return {name for _text, name, _spec, _conversion in string.Formatter().parse(message) if name is not None}


def test_the_chinese_catalogue_translates_every_marked_message_with_the_same_fields():
    zh = i18n.catalogue("zh")
    messages = marked_messages()
    assert len(messages) > 150  # the front page, the answer table, the why readings, How to read
    missing = [m for m in messages if m not in zh]
    assert not missing, f"{len(missing)} messages have no Chinese: {missing[:5]}"
    for message in messages:
        assert fields(zh[message]) == fields(message), message  # a translation that drops {n} would print another number


def test_chinese_sentences_use_chinese_punctuation():
    """，：；（）？ beside Chinese words, as the course writes (ASCII ones stay in code, links and 1,000)."""
    ascii_next_to_chinese = re.compile(r"[\u4e00-\u9fff][,;:?()]|[,;:?()][\u4e00-\u9fff]")
    for chinese in i18n.catalogue("zh").values():
        bare = re.sub(r"`[^`]*`|\]\(#[^)]*\)", "", chinese)
        assert not ascii_next_to_chinese.search(bare), chinese


def test_the_shipped_suites_titles_and_the_curve_states_quoted_in_readings_are_translated():
    from nnlab.diagnostics import STATES
    from nnlab.report import COURSE_PARTS, _suite_studies

    zh = i18n.catalogue("zh")
    for suite in COURSE_PARTS:
        assert CJK.search(zh[_suite_studies(suite)[1]]), suite
    assert all(CJK.search(zh[words]) for words in STATES.values())


def test_the_modules_examples_hold():
    import doctest

    assert doctest.testmod(i18n).failed == 0


def test_english_is_the_default_and_a_language_holds_only_inside_its_block():
    assert _("better / worse?") == "better / worse?"
    with i18n.language("zh"):
        assert _("better / worse?") == "变好了 / 变坏了\uff1f"  # the homework's own words (glossary-zh.md)
        assert _("a sentence nobody marked") == "a sentence nobody marked"
    assert i18n.current() == "en"
    with pytest.raises(ValueError, match="nnlab speaks en, zh"):
        with i18n.language("fr"):
            pass


def test_the_answer_readings_are_chinese_and_keep_their_numbers():
    from nnlab.kinds.train.answer import answer_rows
    from nnlab.report_data import StudyResults
    from test_diagnostics import overfitting_at
    from test_sentences import TESTS, variant

    def rows():
        base = variant("base", [overfitting_at(8, 0.02, wobble=w) for w in (0, 0.01, -0.01, 0.005)], TESTS)
        wide = variant("wide", [overfitting_at(4, 0.06, wobble=w) for w in (0, 0.01, -0.01, 0.005)], [0.70, 0.71, 0.69, 0.70],
                       model__units=128)
        for run in base.runs + wide.runs:
            run.metrics.update(train_examples=7982, validation_examples=1000)
        return answer_rows(StudyResults("synth", Path("/nowhere"), [base, wide]))

    english = rows()
    with i18n.language("zh"):
        chinese = rows()
    wide_en, wide_zh = english[1], chinese[1]
    assert wide_zh[6].startswith("**变坏了**\uff08p")  # one comparison: its p, not an adjusted one
    assert wide_en[6].startswith("**worse** (p ")
    assert "更早开始过拟合" in wide_zh[7] and "过了最佳 Epoch 之后" in wide_zh[7]
    numbers = re.compile(r"[-+]?\d[\d,]*\.?\d*")
    for en, zh in zip(wide_en, wide_zh):  # every cell carries the same figures in the same order
        assert numbers.findall(en) == numbers.findall(zh), (en, zh)
    assert all(not re.search(r"\b(it|its|the|baseline|seeds?|better|worse)\b", cell) for cell in wide_zh[5:8])


@pytest.mark.slow  # draws the report's figures
def test_report_lang_zh_writes_beside_the_english_report_and_leads_with_the_answer(tmp_path):
    from nnlab import report
    from test_diagnostics import units_study, write_study

    write_study(tmp_path, units_study.__wrapped__(), [])
    english = report.build(tmp_path)[0].read_text()
    md, html = report.build(tmp_path, lang="zh")
    assert (md.name, html.name) == ("report.zh.md", "report.zh.html")
    assert (tmp_path / "report.md").read_text().split("\n", 3)[3] == english.split("\n", 3)[3]  # untouched, bar its date
    text = md.read_text()
    assert text.startswith("# nnlab 报告")
    headers = [line for line in text.splitlines() if line.startswith("| 研究 | 变体 | 改了什么 |")]
    assert headers and text.index(headers[0]) < text.index("## synth")  # the answer table before any section
    assert '<a id="how-to-read-this-report"></a>' in text and "## 如何阅读本报告" in text
    assert '<html lang="zh-CN">' in html.read_text()
    site = tmp_path / "site" / "zh"
    assert {p.name for p in site.glob("*.html")} == {"index.html", "synth.html", "appendix.html"}
    index = (site / "index.html").read_text()
    assert 'href="appendix.html#how-to-read-this-report"' in index  # the link finds the page that holds it
    assert {p.name for p in (tmp_path / "site").glob("*.html")} == {"index.html", "synth.html", "appendix.html"}
    # The figures: the Chinese ones (where matplotlib has a Chinese font) in report_assets/zh/, two folders up from site/zh/.
    from nnlab import plots

    figures = re.findall(r'src="\.\./\.\./(report_assets/[^"]+\.png)"', (site / "synth.html").read_text())
    assert figures and all((tmp_path / figure).is_file() for figure in figures)
    assert all(f.startswith("report_assets/zh/") for f in figures) == (plots.chinese_font() is not None)
    english = (tmp_path / "site" / "synth.html").read_text()
    assert 'src="../report_assets/synth-test-accuracy.png"' in english and "report_assets/zh/" not in english


def test_a_list_setting_in_the_chinese_what_changed_cell_does_not_read_as_a_link():
    """"[64, 4](基线 …)" is Markdown for a link: the Chinese cell keeps the value and the bracket apart."""
    import markdown

    from nnlab.kinds.train.answer import _changed
    from test_diagnostics import overfitting_at
    from test_sentences import TESTS, variant

    base = variant("base", [overfitting_at(6, 0.02)] * 2, TESTS[:2], model__units=[64, 64])
    narrow = variant("narrow", [overfitting_at(6, 0.02)] * 2, TESTS[:2], model__units=[64, 4])
    with i18n.language("zh"):
        cell = _changed(narrow, base)
    assert cell == "model.units 改为 [64, 4]\uff0c基线为 [64, 64]"
    assert "<a " not in markdown.markdown(f"| a |\n|---|\n| {cell} |", extensions=["tables"])


def test_the_catalogue_holds_no_message_that_nothing_prints_any_more():
    """A reworded sentence leaves its old translation behind: a translator would keep it up for nothing."""
    from nnlab.diagnostics import STATES

    used = set(marked_messages()) | set(STATES.values())  # the curve states are built with their thresholds (f-strings)
    stale = [message for message in i18n.catalogue("zh") if message not in used]
    assert not stale, stale
