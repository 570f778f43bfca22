"""What `nnlab grade --out DIR` writes beside the class table it prints: grade.md (the table and each
flag's reason), grade.csv (a row per student and check, for a spreadsheet) and class.png (every
student's runs' test accuracies per variant, over the reference's band)."""

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
    """A panel per study, its variants along x: the reference's 95% band for one run (grey) and each
    student's runs' test accuracies, a column of dots a student (red x where a figure there was flagged)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = class_means(students)
    if not means:
        return None
    studies = sorted({study for study, _variant in means})
    fig, axes = plt.subplots(1, len(studies), figsize=(2.2 * len(studies) + 1.5, 3.6), squeeze=False)
    flagged = {s.name: s.outside for s in students}
    runs = {s.name: s.accuracy for s in students}
    for ax, study in zip(axes[0], studies):
        keys = sorted(key for key in means if key[0] == study)
        for x, key in enumerate(keys):
            band = bands.get(key)
            if band:
                ax.fill_between([x - 0.35, x + 0.35], *band, color="grey", alpha=0.25, lw=0)
            names = sorted(means[key])
            for k, name in enumerate(names):  # each of the student's runs: the band is where one run lands
                out = key in flagged[name]
                offset = x - 0.25 + 0.5 * k / max(1, len(names) - 1)
                ax.plot([offset] * len(runs[name][key]), runs[name][key], "x" if out else "o",
                        color="tab:red" if out else "tab:blue", ms=4, alpha=0.8)
        ax.set_xticks(range(len(keys)), [variant for _study, variant in keys], fontsize=7, rotation=30)
        ax.set_title(study, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy of each run")
    fig.suptitle("The class against the reference (grey: where one more reference run lands, 95%; red x: a flagged figure)",
                 fontsize=9)
    fig.tight_layout()
    return fig
