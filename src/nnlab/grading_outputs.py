"""What `nnlab grade --out DIR` writes beside the class table it prints: grade.md (the table and each
flag's reason), grade.csv (a row per student and check, for a spreadsheet) and class.png (every
student's test accuracy per variant, over the reference's band)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from . import results
from .grading import CHECKS, Student, class_means


def write(out: Path, students: list[Student], lines: list[str], bands: dict | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results.write_bytes(out / "grade.md", ("# Class table\n\n" + "\n".join(lines) + "\n").encode())
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["student", "file", "runs", "of", *CHECKS, "clean"])
    for s in students:
        writer.writerow([s.name, s.file.name, s.present, s.required, *(len(s.flags.get(c, [])) for c in CHECKS), s.clean])
    results.write_bytes(out / "grade.csv", text.getvalue().encode())
    figure = class_figure(students, bands or {})
    if figure is not None:
        figure.savefig(out / "class.png", dpi=110)


def class_figure(students: list[Student], bands: dict):
    """A panel of variants: the reference's 95% band for one run (grey) and each student's mean test accuracy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = class_means(students)
    if not means:
        return None
    keys = sorted(means)
    fig, ax = plt.subplots(figsize=(max(5, 1.1 * len(keys) + 2), 4))
    for x, key in enumerate(keys):
        band = bands.get(key)
        if band:
            ax.fill_between([x - 0.35, x + 0.35], *band, color="grey", alpha=0.25, lw=0)
        clean = {s.name: s.clean for s in students}
        for k, (name, value) in enumerate(sorted(means[key].items())):
            ax.plot(x - 0.2 + 0.4 * k / max(1, len(means[key]) - 1), value, "o" if clean[name] else "x",
                    color="tab:blue" if clean[name] else "tab:red")
    ax.set_xticks(range(len(keys)), [f"{s}\n{v}" for s, v in keys], fontsize=7)
    ax.set(ylabel="test accuracy (mean over the student's seeds)",
           title="The class against the reference (band: where one more reference run lands, 95%; x: flagged)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
