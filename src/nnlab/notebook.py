"""nnlab in a Jupyter notebook: run a study or read a finished one, and get its tables as pandas
DataFrames, its figures inline and its report section as rich display.

    import nnlab
    study = nnlab.run("configs/reuters_units.yaml", seeds=3)   # trains, skipping finished runs
    study.variants                                             # a DataFrame: one row per variant
    study.curves()                                             # the learning curves, inline
    study                                                      # the report's section, as HTML

    study = nnlab.load("results/reuters_units")                # a finished study, nothing trained

`run` is nnlab.api.run_studies with a progress bar that updates in place; calling it again trains
nothing that has finished. pandas is an optional extra (`pip install -e '.[notebook]'`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from . import plots, progress
from .errors import MissingExtra, NnlabError
from .report_data import StudyResults, collect_study

if TYPE_CHECKING:
    from .api import RunOptions

INSTALL = "nnlab's notebook tables need pandas, an optional extra: pip install -e '.[notebook]'"
RUN_COLUMNS = ("variant", "seed", "status", "best_epoch", "best_val_loss", "best_val_accuracy", "test_loss",
               "test_accuracy", "wall_time_s")


def run(config: str | Path, results: str | Path = "results", data_dir: str | None = None, *,
        options: RunOptions | None = None, **settings) -> StudyView:
    """Run one study CONFIG as `nnlab run` does (finished runs are skipped, so a second call trains
    nothing) and return its results. Options as nnlab.api.run_studies' (a RunOptions, or its fields
    as keywords: `seeds=3` seeds 0..2 instead of the config's, `subset` the first N examples, `only`
    -k patterns, `jobs` runs at once). Defaults: the config's seeds, all examples and variants, one run
    at a time."""
    from .api import RunOptions, run_studies

    options = RunOptions.of(options, results=results, data_dir=data_dir, **settings)
    display = progress.Notebook()
    done = run_studies([config], options=options, display=display)
    if not done:
        raise NnlabError(f"{config}: no variant matches {', '.join(options.only)}")
    view = load(done[0].results)
    view.trained, view.skipped = display.finished, display.skipped
    return view


def load(folder: str | Path) -> StudyView:
    """A finished study's folder (results/<study>), read without training anything."""
    folder = Path(folder)
    study = collect_study(folder)
    if study is None:
        raise NnlabError(f"{folder} holds no finished run of a study (give results/<study>, after `nnlab run`)")
    return StudyView(study)


class StudyView:
    """One study's results: `runs` and `variants` (DataFrames), `curves()` and `comparison()`
    (figures), `markdown()` (its report section); shown in a notebook as that section."""

    def __init__(self, study: StudyResults):
        self.study = study
        self.trained: int | None = None  # after nnlab.run: runs trained by that call, and found finished
        self.skipped: int | None = None

    def __repr__(self) -> str:
        return f"<nnlab study {self.study.name}: {len(self.study.variants)} variants, {len(self.study.runs)} runs at {self.study.folder}>"

    @property
    def name(self) -> str:
        return self.study.name

    @property
    def runs(self):
        """One row per run: its variant, seed, status and figures."""
        pandas = _pandas()
        return pandas.DataFrame([{k: r.metrics.get(k) for k in RUN_COLUMNS} for r in self.study.runs], columns=list(RUN_COLUMNS))

    @property
    def variants(self):
        """One row per variant: mean, sd and count over seeds of the run table's figures."""
        table = self.runs
        ok = table[table["status"] == "ok"]
        figures = [c for c in RUN_COLUMNS[3:] if ok[c].notna().any()]
        grouped = ok.groupby("variant", sort=False)[figures].agg(["mean", "std", "count"])
        grouped.columns = [f"{figure}_{stat}" for figure, stat in grouped.columns]
        order = [v.name for v in self.study.variants if v.name in grouped.index]
        return grouped.loc[order]

    def curves(self, metric: str = "loss"):
        """Training (dashed) and validation (solid) curves of every seed, a panel per variant."""
        colors = plots.variant_colors([v.name for v in self.study.variants])
        grid = {v.name: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history and metric in r.history]
                for v in self.study.variants}
        return _detached(plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors,
                                                   f"{self.name}: {metric} curves", metric=metric))

    def comparison(self):
        """Mean test accuracy per variant with ±1 sd over seeds."""
        scored = [v for v in self.study.variants if v.n and v.values("test_accuracy")]
        colors = plots.variant_colors([v.name for v in self.study.variants])
        return _detached(plots.test_accuracy_bars([v.name for v in scored], [v.mean_sd("test_accuracy")[0] for v in scored],
                                                  [v.mean_sd("test_accuracy")[1] for v in scored], [v.n for v in scored],
                                                  colors, self.study.baseline, {},
                                                  f"{self.name}: test accuracy (mean ± sd over seeds)"))

    def markdown(self) -> str:
        """The report's section for this study, as `nnlab report` writes it (its figures are linked
        from a scratch folder that is gone when this returns: the HTML form embeds them)."""
        with tempfile.TemporaryDirectory(prefix="nnlab-section-") as scratch:
            return self._section_in(Path(scratch))

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        """The section as self-contained HTML, its figures embedded: what a notebook shows."""
        from .report_html import to_html

        with tempfile.TemporaryDirectory(prefix="nnlab-section-") as scratch:
            return to_html(self._section_in(Path(scratch)), Path(scratch))

    def _section_in(self, scratch: Path) -> str:
        """The section written with `scratch` as the report's root (a link to the study folder in it),
        so its figures never land in the results folder's report_assets, which `nnlab report` owns."""
        from .report import section_of

        os.symlink(self.study.folder.absolute(), scratch / self.study.name)
        return "\n".join(section_of(scratch, collect_study(scratch / self.study.name)))


def _pandas():
    try:
        import pandas
    except ImportError:
        raise MissingExtra(INSTALL) from None
    return pandas


def _detached(fig):
    """The figure, no longer in pyplot's list: a notebook shows it once, as the value returned."""
    plots.plt.close(fig)
    return fig

