"""Small pieces every report section writes with: numbers as text, Markdown tables, figures."""

from __future__ import annotations

from pathlib import Path

from . import i18n, plots, results, templating
from .i18n import N_

ASSETS = "report_assets"  # the report's figures, beside report.md; those drawn in another language in report_assets/<lang>/
HOW_TO_READ = N_("[How to read this report](#how-to-read-this-report)")  # the method and the words, said once


def fmt(mean: float | None, sd: float | None = None, digits: int = 4) -> str:
    """'0.7967 ± 0.0061', or '—' where there is no number."""
    if mean is None:
        return "—"
    return f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


def markdown_table(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table, a line per row; cells are written as given (str() of anything else).
    The table is the template's (macros.md.j2), as every template writes one.

    >>> markdown_table(["variant", "n"], [["wide", 3]])
    ['| variant | n |', '|---|---|', '| wide | 3 |']
    """
    return templating.macro("table")(header, rows).split("\n")


def figures_folder() -> str:
    """Where the figures the report draws go, relative to report.md: report_assets/, or report_assets/<lang>/
    where they speak the report's language (nnlab.plots.speaks), so each report keeps its own. A report
    whose figures could not be translated (no font) shows the English ones.

    >>> figures_folder()
    'report_assets'
    """
    lang = i18n.current()
    return f"{ASSETS}/{lang}" if lang != "en" and plots.speaks(lang) else ASSETS


def image(fig, root: Path, name: str, alt: str) -> str:
    """Save a figure the report drew into its language's assets (figures_folder) and return the Markdown that shows it."""
    folder = figures_folder()
    results.save_figure(fig, Path(root) / folder / name)
    plots.plt.close(fig)
    return f"![{alt}]({folder}/{name})"


def copied_image(root: Path, source: Path, name: str, alt: str) -> str:
    """A run's own figure, copied into the report's assets, so report.md shows it without the run
    folders (the repository commits the report and its assets, not the runs). Drawn as the run trained,
    it is English, and shared by the reports of every language."""
    results.write_bytes(Path(root) / ASSETS / name, Path(source).read_bytes())
    return f"![{alt}]({ASSETS}/{name})"


def folded(summary: str, lines: list[str]) -> list[str]:
    """Details one click away: `lines` (Markdown) inside an HTML <details> whose <summary> is shown.
    GitHub renders the Markdown inside; nnlab's HTML too (python-markdown's md_in_html)."""
    if not lines:
        return []
    return templating.macro("folded")(summary, caller=lambda: "\n".join(lines)).split("\n")
