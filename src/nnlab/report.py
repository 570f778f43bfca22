"""The report: every run folder under a results folder, as report.md and a self-contained report.html.

Every number comes from the run folders (metrics.json, search_history.json, provenance.json);
every sentence is generated from those numbers, so editing a metrics file changes the report.
This module writes the front page and puts the study sections (each kind's own, nnlab/kinds/) after it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from pathlib import Path

from . import conclusions, i18n, plots, reference_file, results, run_store, templating, variant_filter
from .book import book_verdict
from .errors import NnlabError, write_error_log
from .i18n import N_, _
from .kinds import KINDS
from .report_data import Run, StudyResults, collect
from .report_html import SITE, site_pages, to_html
from .report_parts import ASSETS, HOW_TO_READ, figures_folder, fmt, markdown_table
from .search import comparison as comparison_section
from .search import section as search_section


def build(root: Path, warn=None, patterns: tuple[str, ...] = (), lang: str = "en",
          references: tuple[Path, ...] = ()) -> tuple[Path, Path]:
    """report.md and report.html from the runs under `root`; `warn(text)` hears of damaged runs left
    out. `patterns` (-k): only the variants they match, named on the front page. `lang` (nnlab.i18n):
    another than English writes report.<lang>.md, report.<lang>.html and site/<lang>/ beside the
    English ones, the same numbers in that language. `references`: files of figures from elsewhere
    (nnlab.reference_file), checked beside the configs' own."""
    files = [(Path(path), reference_file.load(path)) for path in references]  # a bad file is refused before anything
    with i18n.language(lang):
        return _build(Path(root), warn, patterns, lang, files)


def _build(root: Path, warn, patterns: tuple[str, ...], lang: str, files: list) -> tuple[Path, Path]:
    studies = collect(root, warn) if root.is_dir() else []
    if not studies:
        raise NnlabError(f"{root} holds no finished runs: run `nnlab run CONFIG --results {root}` first")
    for path, by_study in files:
        reference_file.attach(by_study, studies, path, root)
    if patterns:
        studies = [s for s in (variant_filter.keep(s, patterns) for s in studies) if s]
        if not studies:
            raise NnlabError(f"{root}: no variant matches -k {' -k '.join(patterns)}")
    ordered = parts(studies)
    studies = [s for _suite, _title, members in ordered for s in members]
    # Each folder the report writes in, locked: a killed report's temporaries there are cleared.
    site = root / SITE if lang == "en" else root / SITE / lang
    figures = root / figures_folder()  # report_assets/, or report_assets/<lang>/ for figures in the language
    with (results.writing_in(root), results.writing_in(root / ASSETS), results.writing_in(site),
          results.writing_in(figures) if figures != root / ASSETS else contextlib.nullcontext()):
        lines = _front_page(root, studies, warn, patterns, ordered)
        index, pages = list(lines), []  # the site: the front page with every part's answer, a page per study
        for k, (name, description, members) in enumerate(ordered, 1):
            # The answer table leads every part, and a report of studies in no suite too (a student's own).
            # Each part's heading carries a short id (#part-2), the same in every language, for the links to its answer.
            head = ([f'<a id="part-{k}"></a>', "", _("# Part {k}: {description}").format(k=k, description=description), ""]
                    if len(ordered) > 1 or name else []) + _answer_table(members, warn)
            lines += head
            index += head + [_("Its studies, a page each: ") + ", ".join(f"[{s.name}](#{s.name.lower()})" for s in members), ""]
            for study in members:
                section = _guarded(study.name, "section", warn, functools.partial(section_of, root, study), _failed_section)
                lines += section
                pages.append((_page_name(study.name), study.name, "\n".join(section)))
        appendix = _appendix(studies)
        lines += appendix
        text = "\n".join(lines) + "\n"
        suffix = "" if lang == "en" else f".{lang}"
        md_path, html_path = root / f"report{suffix}.md", root / f"report{suffix}.html"
        results.write_bytes(md_path, text.encode())
        results.write_bytes(html_path, to_html(text, root, lang).encode())
        _write_site(root, site, [("index", _("front page"), "\n".join(index)), *pages,
                                 ("appendix", _("appendix"), "\n".join(appendix))], lang)
    return md_path, html_path


def _page_name(study: str) -> str:
    """A study's page in the site, clear of the index and the appendix."""
    return f"{study}-study" if study in ("index", "appendix") else study


def _write_site(root: Path, folder: Path, pages: list[tuple[str, str, str]], lang: str) -> None:
    """The site's pages (report_html.site_pages) into `folder` (results/site/, or site/<lang>/); pages
    of studies these results no longer hold are removed."""
    written = site_pages(pages, root, lang, depth=len(folder.relative_to(root).parts))
    for name, page in written.items():
        results.write_bytes(folder / name, page.encode())
    for stale in folder.glob("*.html"):
        if stale.name not in written:
            with results.storage_faults(stale, "removing"):
                stale.unlink(missing_ok=True)


# The course's order: its parts are the suites shipped with nnlab, in the order the course teaches them
# (the chapter-3 homework, the course's MNIST script and its comparisons, the exercises and worked
# examples, the search methods); studies in no suite come last.
COURSE_PARTS = ("chapter3", "course_script", "course", "search_methods")


def parts(studies: list[StudyResults]) -> list[tuple[str, str, list[StudyResults]]]:
    """(suite name, its description, its studies among these, in the suite's order) for each part of
    the course these results hold, then ("", "other studies", the rest, by name)."""
    by_name = {s.name: s for s in studies}
    out, placed = [], set()
    for suite in COURSE_PARTS:
        name, description, members = _suite_studies(suite)
        found = [by_name[m] for m in members if m in by_name and m not in placed]
        absent = [m for m in members if m not in by_name]
        if found and absent:  # the suite's description would name studies not here (not those in an earlier part)
            out.append((name, _("{n} of the {total} studies of suite `{suite}` (the others are not in these results)").format(
                n=len(members) - len(absent), total=len(members), suite=suite), found))
        elif found:
            out.append((name, _("{description} (suite `{suite}`)").format(description=_(description), suite=suite), found))
        placed |= {s.name for s in found}
    rest = [s for s in studies if s.name not in placed]
    if rest:
        out.append(("", _("other studies") if out else _("the studies"), rest))
    return out


def _suite_studies(suite: str) -> tuple[str, str, list[str]]:
    """A shipped suite's name, description and its studies' names, read from the manifest and configs."""
    from . import yaml_strict
    from .shipped import resolve

    path = resolve(suite, "experiments")
    try:
        manifest = yaml_strict.load(path.read_text())
        names = [yaml_strict.load((path.parent / study).read_text()).get("name") for study in manifest.get("studies", [])]
    except (OSError, ValueError, AttributeError, yaml_strict.Misread):
        return suite, suite, []
    return suite, manifest.get("description", suite), [n for n in names if n]


def _answerable(members: list[StudyResults]) -> list[StudyResults]:
    """The studies an answer table has a row for: training studies of variants against a baseline."""
    return [s for s in members if s.kind == "train" and not search_section.holds_search(s)
            and not comparison_section.holds_comparison(s)]


def _answer_table(members: list[StudyResults], warn) -> list[str]:
    """The part's answer, first: every training variant against its baseline, in the suite's order."""
    from .kinds.train.answer import ANSWER_HEADER, answer_header, answer_rows

    rows = []
    for study in _answerable(members):
        rows += _guarded(study.name, "answer table", warn, lambda s=study: answer_rows(s),
                         lambda name, notice: [[name, f"— (this row {notice})", *["—"] * (len(ANSWER_HEADER) - 2)]])
    if not rows:
        return []
    return [_("**The answer:** did test accuracy get better or worse than the baseline, and why? One row per variant; "
              "each study's section gives the measures and the figures. The test accuracy is that of a model "
              "retrained from scratch on the training and validation examples together (their count in brackets) "
              "for each seed's best epoch count, chosen on the validation curves, and tested once; beside it, the same "
              "retrain after all the study's epochs (never used to choose anything). The tests, the verdicts' words and "
              "the curves' reasons: {how_to_read}.").format(how_to_read=_(HOW_TO_READ)), "",
            *markdown_table(answer_header(), rows), ""]


def section_of(root: Path, study: StudyResults) -> list[str]:
    """A study's section: a comparison of search strategies', a search's, or its kind's own."""
    if comparison_section.holds_comparison(study):
        return comparison_section.section(root, study)
    if search_section.holds_search(study):
        return search_section.section(root, study)
    return KINDS[study.kind].report.section(root, study)


def _guarded(study: str, part: str, warn, make, instead):
    """`make()`, or where it fails for a reason nnlab did not foresee, `instead(study, notice)`: one
    study's section (or front-page row) must not cost the whole report. The traceback goes to a log
    file that the notice and a console warning name."""
    try:
        return make()
    except Exception as exc:  # any fault of one section; the others are still written
        log = write_error_log(exc, f"nnlab report: the {part} of study {study}")
        where = f"the traceback is in {log}" if log else "no log file could be written"
        notice = f"could not be written ({type(exc).__name__}: {exc}); {where}"
        if warn:
            warn(f"{study}: the report's {part} {notice}")
        return instead(study, notice)


def _failed_section(study: str, notice: str) -> list[str]:
    return [f"## {study}", "", f"> **This section {notice}.** Every other section is complete.", ""]


def _front_page(root: Path, studies: list[StudyResults], warn=None, patterns: tuple[str, ...] = (),
                ordered: list | None = None) -> list[str]:
    """The front page's values, laid out by templates/front_page.md.j2."""
    runs = [r for s in studies for r in s.runs]
    seconds = sum(r.metrics.get("wall_time_s") or 0 for r in runs if not r.metrics.get("same_run_as"))
    statuses = {s: sum(r.metrics["status"] == s for r in runs) for s in ("ok", "diverged", "failed")}
    rows = [_guarded(s.name, "headline row", warn, lambda s=s: _headline_row(s),
                     lambda name, notice: [name, f"— (this row {notice})", *["—"] * 6])
            for s in studies if s.kind == "train" and not any(v.validated_on_test for v in s.variants)]
    return templating.lines(
        "front_page.md.j2", when=dt.datetime.now().astimezone().isoformat(timespec="seconds"), root=root,
        translated=i18n.current() != "en", figures_translated=plots.speaks(), answer_links=_answer_links(ordered or [("", "", studies)]),
        studies=[s.name for s in studies], variants=sum(len(s.variants) for s in studies),
        seeds=sorted({r.metrics["seed"] for r in runs}), runs=len(runs),
        statuses=", ".join(_(STATUS_WORDS[k]).format(count=v) for k, v in statuses.items() if v),
        shared=run_store.shared_count([r.metrics for r in runs]), time=dt.timedelta(seconds=round(seconds)),
        code=_code(runs), patterns=" -k ".join(patterns),
        selected="; ".join(f"{s.name}: {', '.join(v.name for v in s.variants)}" for s in studies),
        contents=_contents(ordered or [("", "", studies)]),
        headline_header=[_(column) for column in HEADLINE_HEADER], headline_rows=rows,
        course=[s.name for s in studies if s.kind == "train" and any(v.validated_on_test for v in s.variants)],
        other_kinds=[s.name for s in studies if s.kind != "train"]) + [""]


def _answer_links(ordered: list[tuple[str, str, list[StudyResults]]]) -> str:
    """The homework's answer before anything else on the front page: a link to each part's answer
    table ("" where the results make one part or none has an answer table)."""
    with_parts = len(ordered) > 1 or bool(ordered[0][0])
    answered = [k for k, (_suite, _title, members) in enumerate(ordered, 1) if _answerable(members)]
    if not answered or not with_parts:
        return ""
    part = _("Part {k}")
    return _(", ").join(f"[{part.format(k=k)}](#part-{k})" for k in answered)


STATUS_WORDS = {"ok": N_("{count} ok"), "diverged": N_("{count} diverged"), "failed": N_("{count} failed")}
HEADLINE_HEADER = [N_("study"), N_("chosen on validation"), N_("within seed noise of it on validation"),
                   N_("its test accuracy"), N_("its test rank"), N_("baseline"), N_("baseline test accuracy"),
                   N_("the book; the baseline against it")]


def _appendix(studies: list[StudyResults]) -> list[str]:
    """After the parts: how to read them (said once; every section links here), and what made the runs
    (the answers come first); templates/appendix.md.j2 lays it out."""
    trains = any(s.kind == "train" for s in studies)
    # The heading's id stays the English one, so every link to it holds in every language.
    return templating.lines("appendix.md.j2", anchor=i18n.current() != "en", how_to_read_title=_(HOW_TO_READ_TITLE),
                            how_to_read=[_(paragraph) if paragraph else "" for paragraph in HOW_TO_READ_PAGE] if trains else [],
                            environment=_environment([r for s in studies for r in s.runs])) + [""]


# The method and the words, once: each section's tables and sentences link here instead of saying it again.
HOW_TO_READ_TITLE = N_("How to read this report")
HOW_TO_READ_PAGE = [  # paragraphs; "" between them
    N_("**Where a test accuracy comes from.** For each variant and seed, the net trains on the training examples "
       "less a held-out validation split (the book's nets hold out the first examples: 1,000 Reuters wires, 10,000 "
       "IMDB reviews) and records its training and validation curves. The study's selection rule picks "
       "the best epoch on the validation curve (the lowest validation loss unless the study says otherwise), never on "
       "the test set. The same net is then trained again from the same initial weights on all the training examples, "
       "the validation split included, for that many epochs, and tested once: that is the test accuracy of every table. "
       "The same retrain, trained on to all the study's epochs and tested there too, is shown beside it; it is never "
       "used to choose anything. Where a study follows the course's own script, which validates on the test set, "
       "those figures are marked † and are optimistic."),
    "",
    N_("**The tables.** Mean ± sample standard deviation over seeds; n counts the finished runs. *Parameters*: every "
       "weight and bias (Σw + Σb, with batch norm's scales and shifts and PReLU's slopes where used). *Multiply-adds*: "
       "one forward pass of one example through the dense layers, as if its inputs were dense (a multi-hot text "
       "costs far fewer: one row per word it holds)."),
    "",
    N_("**Better, worse, cannot tell.** Each variant is set against its study's baseline on test accuracy over seeds: "
       "by a paired t-test where the seeds pair the runs, by Welch's t-test where they do not. The p-values of one "
       "study's comparisons are adjusted together (Holm's method for up to five comparisons, Benjamini–Hochberg's "
       "above), and the verdict uses the adjusted p: better or worse when it is below 0.05, cannot tell otherwise. "
       "The 95% interval beside a verdict is that of the difference itself, before the adjustment; where it excludes "
       "zero and the verdict is still cannot tell, the sentence says that the adjustment made the difference. Each "
       "study states once the smallest true difference its seeds find 80% of the time: a smaller one is more often "
       "missed than found, so *cannot tell* never means *equal*."),
    "",
    N_("**Why, from the curves.** The climb after the lowest validation loss is the least-squares slope from the "
       "lowest epoch to the last. A seed's curve *overfits* when its validation loss climbs 5% or more above its lowest by the last epoch, has "
       "*levelled off* when it climbs less than that, is *still improving* when it is lowest at the last epoch, and "
       "is *flat* when it moves less than 2% over the run. Where a study records gradient norms, gradients "
       "*explode* when every layer's norm is 10 or more and *vanish* when the first layer gets a hundredth of the "
       "output layer's or less. The tested model stops at its best epoch: what a curve does after that epoch (the "
       "climb, the gap at the last epoch) says how the variant trains on, not what the tested model went through. "
       "So a reason names the measures up to the best epoch first, and puts any after it behind \"past its best "
       "epoch, where only the full-epochs model trains\"; the answer table's column after all the epochs shows where "
       "that matters."),
    "",
    conclusions.CURVES_CAN_AND_CANNOT,
    "",
    N_("**Words.**"),
    "",
    N_("- *seed*: the number that fixes a run's initial weights and the order it sees the examples in (the "
       "validation split is the study's: the book's nets hold out the same first examples for every seed). "
       "*Seed noise*: how much a figure moves from seed to seed with nothing else changed; a "
       "difference no larger than it may be chance alone."),
    N_("- *best epoch*: the epoch the study's selection rule prefers on the validation curve."),
    N_("- *paired t-test*: compares two variants seed by seed (run i of one with run i of the other). Fair where the "
       "seed gives both the same initial weights: the same layer shapes and initializers (the data order and the "
       "validation split are the same for both in any case)."),
    N_("- *Welch's t-test*: compares two variants as two independent samples, their spreads allowed to differ; used "
       "where the seed cannot give both the same initial weights (other layer shapes or initializers)."),
    N_("- *p-value*: how often seed noise alone would give a difference at least this large. *Adjusted p*: the "
       "p-value raised for the number of comparisons made in the study, so that chance alone rarely gives a "
       "verdict."),
    N_("- *Holm*: the adjustment for up to five comparisons: the chance of even one false verdict in the study stays "
       "at 5% or below. *Benjamini–Hochberg*: the one above five, where Holm's guarantee would hide most real "
       "effects: the expected share of false verdicts stays at 5% or below."),
    N_("- *95% confidence interval*: a range built so that, were the study repeated with new seeds many times, 95% "
       "of such ranges would hold the true mean difference."),
    N_("- *power*, *detectable difference*: the chance that the test finds a true difference of a given size; the "
       "detectable difference is the one found 80% of the time."),
    N_("- *prediction interval*: where one more run would land 95% of the time, from the seeds' mean and spread; a "
       "single run's figure (a student's, the book's) is checked against it."),
    N_("- *levelled off*, *overfits*, *still improving*, *flat*: the curve's shape, as defined above."),
    N_("- *multiply-adds*: the multiplications (each with its addition) of one forward pass of one example."),
    N_("- *holds*, *does not hold*: a figure from elsewhere (a student's, the book's) against these seeds. A number "
       "is read as the interval of numbers that round to it (≈ 9 is 8.5 to 9.5; an accuracy of 0.80 is 0.795 to "
       "0.805), and holds where that interval overlaps the measured one. *Contradicted*: a stated direction "
       "(higher, lower) that the seeds show the other way beyond noise; *not supported*: one they cannot tell "
       "from noise. A direction is a claim about the two variants, not about one run, so it is judged by the mean "
       "difference over seeds, as the verdicts are, whether its source ran once or many times."),
    N_("- *trivial baselines*: the majority class (always answering the commonest training label) and guessing "
       "labels at their training-set frequencies; a net must beat both to have learned anything."),
    "",
]


def _contents(ordered: list[tuple[str, str, list[StudyResults]]]) -> list[str]:
    """The parts, each with its studies nested below it (no part line where the results hold no suite's)."""
    with_parts = len(ordered) > 1 or bool(ordered[0][0])
    lines = []
    for k, (_suite, description, members) in enumerate(ordered, 1):
        lines += [_("- Part {k}: {description}").format(k=k, description=description)] if with_parts else []
        lines += [("    " if with_parts else "") + f"- [{s.name}](#{s.name.lower()})"
                  + (f": {_(s.config['description'])}" if s.config.get("description") else "") for s in members]
    return lines


def _headline_row(s: StudyResults) -> list[str]:
    choice = conclusions.choose(s)
    base = s.variant(s.baseline)
    figure, _where, verdict = book_verdict(s)
    book = (_("{figure}: {verdict}").format(figure=figure, verdict=verdict) if figure != "—" else
            _("— ({verdict})").format(verdict=verdict) if verdict else "—")
    if choice is None:
        return [s.name, "—", "—", "—", "—", s.baseline, "—", book]
    chosen = choice.variant
    metric = _(METRIC_WORDS.get(choice.metric, choice.metric))
    return [s.name, _("**{name}** ({metric})").format(name=chosen.name, metric=metric),
            ", ".join(choice.tied) or "—",
            f"{fmt(*chosen.mean_sd('test_accuracy'), digits=3)} (n={chosen.n})",
            _("{rank} of {ranked}").format(rank=choice.test_rank, ranked=choice.ranked) if choice.test_rank else "—",
            s.baseline, fmt(*base.mean_sd("test_accuracy"), digits=3), book]


METRIC_WORDS = {"val_loss": N_("validation loss"), "val_accuracy": N_("validation accuracy")}


def _code(runs: list[Run]) -> str:
    """The commits the runs came from, each with its run count, and those from uncommitted code: a
    run repeats from its commit only where the code was committed.

    >>> from types import SimpleNamespace as R
    >>> runs = [R(provenance={"environment": {"commit": "a" * 40, "dirty": False}})] * 2
    >>> _code(runs + [R(provenance={"environment": {"commit": "b" * 40, "dirty": True}})])
    'commit `aaaaaaaaaaaa` (2 runs); commit `bbbbbbbbbbbb` with uncommitted changes (1 run: it cannot be repeated from any commit)'
    """
    counts: dict[tuple, int] = {}
    for run in runs:
        environment = (run.provenance or {}).get("environment") or {}
        key = (environment.get("commit"), bool(environment.get("dirty")))
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return ""
    parts = []
    for (commit, dirty), n in sorted(counts.items(), key=lambda item: (item[0][1], -item[1], str(item[0][0]))):
        name = _("commit `{commit}`").format(commit=commit[:12]) if commit else _("no git checkout")
        runs_said = (_("{n} run") if n == 1 else _("{n} runs")).format(n=n)
        parts.append(_("{name} with uncommitted changes ({runs}: it cannot be repeated from any commit)").format(name=name, runs=runs_said)
                     if dirty else _("{name} ({runs})").format(name=name, runs=runs_said))
    return _("; ").join(parts)


def _environment(runs: list[Run]) -> list[str]:
    envs = [r.provenance["environment"] for r in runs if r.provenance]
    if not envs:
        return [_("No provenance recorded.")]
    rows = []
    for key, label in (("nnlab", "nnlab"), ("commit", N_("git commit")), ("python", "Python"),
                       ("tensorflow", "TensorFlow"), ("keras", "Keras"), ("numpy", "numpy"),
                       ("platform", N_("platform")), ("cpu", N_("CPU")), ("gpus", N_("GPUs"))):
        values = sorted({", ".join(e[key]) if isinstance(e.get(key), list) else str(e.get(key)) for e in envs})
        rows.append(_("- {label}: {values}").format(label=_(label), values=_("; ").join(v or _("none") for v in values)))
    threads = sorted({str(e.get("threads") or _("not fixed (the cores, before nnlab pinned it)")) for e in envs})
    rows.append(_("- TensorFlow threads per run: {threads}").format(threads=_("; ").join(threads)))
    kernels = sorted({(e.get('onednn') or {}).get('isa') or _("off") for e in envs if "onednn" in e})
    if kernels:
        rows.append(_("- oneDNN's instruction set: {isa}").format(isa=_("; ").join(kernels)))
    if any(e.get("dirty") for e in envs):
        rows.append(_("- Some runs were made from a checkout with uncommitted changes (the front page counts them)."))
    datasets = sorted({(r.provenance["dataset"]["file"], r.provenance["dataset"]["sha256"])
                       for r in runs if r.provenance and r.provenance.get("dataset")})
    rows += [_("- data: `{file}` sha256 `{hash}…`").format(file=Path(f).name, hash=h[:16]) for f, h in datasets]
    return rows
