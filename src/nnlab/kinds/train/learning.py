"""How each variant learned, as the report's table: its validation-phase curve measures (mean ± sd over
seeds, from the same diagnoses the why sentences read) and how many of its seeds are in each state."""

from __future__ import annotations

from ...i18n import N_, _
from ...report_data import StudyResults
from ...report_parts import fmt
from ...stats import mean_sd
from .why import MEASURES, diagnoses, measure_value, state_counts


def table(study: StudyResults) -> tuple[list[str], list[list[str]]]:
    """(header, rows): each variant's curve measures, mean ± sd over seeds, and its seeds' states."""
    per_variant = {v.name: diagnoses(v) for v in study.variants}
    shown = [m for m in MEASURES if any(measure_value(d, m) is not None for ds in per_variant.values() for d in ds.values())]
    rows = []
    for v in study.variants:
        ds = per_variant[v.name]
        if not ds:
            continue
        counts = state_counts(ds)
        row = [study.label(v), _(", ").join(f"{_(STATE_NAMES[state])} {n}/{len(ds)}" for state, n in sorted(counts.items(), key=lambda kv: -kv[1]))]
        for m in shown:
            values = [value for d in ds.values() if (value := measure_value(d, m)) is not None]
            mean, sd = mean_sd(values)
            if m.log:
                row.append(f"{10 ** mean:.3g}×" if mean is not None else "—")
            elif m.key.startswith("accuracy_gap"):
                row.append(fmt(*(x * 100 if x is not None else None for x in (mean, sd)), digits=1) + (_(" pts") if mean is not None else ""))
            elif m.key in ("val_accuracy_at_best", "lowest_val_loss"):
                row.append(fmt(mean, sd, digits=4))
            elif m.key == "rise_per_epoch":
                row.append(fmt(mean, sd, digits=4))
            else:
                row.append(fmt(mean, sd, digits=1))
        rows.append(row)
    return [_("variant"), _("curves (seeds)"), *(_(m.header) for m in shown)], rows


STATE_NAMES = {"overfits": N_("overfits"), "levelled off": N_("levelled off"), "still improving": N_("still improving"),
               "flat": N_("flat"), "diverged": N_("diverged")}  # diagnostics.STATES' keys, in a table cell
