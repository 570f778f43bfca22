"""The book's published test accuracies (Deep Learning with Python) and whether a study's baseline
lands on them: the book ran its net once, so its figure is set against where one more run of the
baseline lands (the 95% prediction interval over seeds), and only when the baseline is the book's net."""

from __future__ import annotations

from .i18n import N_, _
from .report_data import StudyResults
from .stats import (
    prediction_interval,
)

# Published test accuracies the exercises are checked against (Deep Learning with Python): as printed,
# where, the range the printed figure stands for (a rounded "≈ 0.88" covers 0.875 to 0.885), and the
# net it was measured with (a study's baseline is checked against the figure only if it is that net).
BOOK = {
    "imdb": ("≈ 0.88", "DLwP §3.4", (0.875, 0.885),
             {"hidden_layers": 2, "units": 16, "activation": "relu", "loss": "binary_crossentropy", "optimizer": "rmsprop"}),
    "reuters": ("≈ 0.78–0.80", "DLwP §3.5", (0.78, 0.80),
                {"hidden_layers": 2, "units": 64, "activation": "relu", "loss": "categorical_crossentropy", "optimizer": "rmsprop"}),
    "mnist": ("≈ 0.98", "DLwP ch. 2, dense net", (0.975, 0.985),
              {"hidden_layers": 1, "units": 512, "activation": "relu", "loss": "categorical_crossentropy", "optimizer": "rmsprop"}),
}


def book_verdict(study: StudyResults) -> tuple[str, str, str]:
    """The book's figure for the study's dataset, where it is printed, and whether it is where one run of
    the baseline lands: the book ran its net once, so its figure is set against the 95% prediction
    interval over the seeds, not the mean's interval ("—" on the bundled sample, a subset or another net
    than the book's)."""
    dataset = study.config.get("dataset", {})
    if dataset.get("sample") or dataset.get("subset"):
        return "—", "", _("bundled sample") if dataset.get("sample") else _("subset of {n}").format(n=dataset["subset"])
    if dataset.get("name") not in BOOK:
        return "—", "", ""
    printed, where, (low, high), net = BOOK[dataset["name"]]
    base = study.variant(study.baseline)
    config = base.runs[0].config
    model = config.get("model", {})
    ours = {"hidden_layers": model.get("hidden_layers"), "units": model.get("units"), "activation": model.get("activation"),
            "loss": config.get("loss"), "optimizer": config.get("optimizer", {}).get("name")}
    if ours != net:
        return printed, where, not_the_books_net()
    interval = prediction_interval(base.values("test_accuracy"))
    if interval is None:
        return printed, where, _("one seed: no interval")
    span = f"{interval[0]:.3f}–{interval[1]:.3f}"
    if interval[1] < low:
        return printed, where, _("below it (one run lands in {span}, 95%)").format(span=span)
    if interval[0] > high:
        return printed, where, _("above it (one run lands in {span}, 95%)").format(span=span)
    return printed, where, _("consistent (one run lands in {span}, 95%)").format(span=span)


def not_the_books_net() -> str:
    return _(NOT_THE_BOOKS_NET)


def book_consistent(verdict: str) -> bool:
    """Whether book_verdict's words say the figure lies where one run lands (in the report's language)."""
    return verdict.startswith(_("consistent (one run lands in {span}, 95%)").split("{span}")[0])


NOT_THE_BOOKS_NET = N_("not the book's net")
