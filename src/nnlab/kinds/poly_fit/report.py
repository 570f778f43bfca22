"""The `poly_fit` kind's part of the report: each variant's fit over seeds (its training and validation
MSE, the lowest validation MSE and when it came, how much the net overfits after it, how fast it
learns), the comparison with the baseline with its interval over seeds, and the fits as figures."""

from __future__ import annotations

from pathlib import Path

from ... import plots, results
from ...changes import changed_sentence
from ...i18n import N_, _, sentences
from ...report_data import StudyResults, VariantStats
from ...report_parts import copied_image, fmt, image, markdown_table
from ...stats import compare
from . import figures

COLUMNS = {"final_train_mse": N_("train MSE at the end"), "min_val_mse": N_("lowest validation MSE"),
           "min_val_epoch": N_("epoch of the lowest"), "final_val_mse": N_("validation MSE at the end"),
           "overfit": N_("rise after the lowest"), "epochs_to_fit": N_("epochs to train MSE ≤ 2σ²"),
           "repeats_fitted": N_("initialisations that got there"), "diverged_repeats": N_("diverged")}


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    scored = [v for v in study.variants if v.n]
    base = study.variant(study.baseline)
    lines = study.heading(_found(study, scored, base))
    model = c.get("model", {})
    lines += [sentences(
        _("y = {polynomial} on [{low}, {high}] plus Gaussian noise (σ = {noise}); {train} training and {validation} validation "
          "points drawn from each seed; a 1-{units}-1 {activation} net, {optimizer} at lr {rate}, {epochs} full-batch epochs, "
          "{repeats} initialisations per seed trained at once.").format(
            polynomial=_polynomial(c["coefficients"]), low=c["x_range"][0], high=c["x_range"][1], noise=c["noise"],
            train=c["train_points"], validation=c["validation_points"], units="-".join(map(str, model.get("units", []))),
            activation=model.get("activation"), optimizer=_settings(study, "optimizer"), rate=_settings(study, "learning_rate"),
            epochs=c["epochs"], repeats=c["repeats"]),
        _("Each figure is the median over a run's initialisations, then mean ± sd over seeds."),
        _("The noise floor σ² = {floor} is what the polynomial itself scores on fresh points.").format(floor=f"{c['noise'] ** 2:.3g}")),
        ""]
    rows = [[study.label(v), *(fmt(*v.mean_sd(key), digits=0 if key in ("min_val_epoch", "epochs_to_fit") else
                                   1 if key in ("repeats_fitted", "diverged_repeats") else 3) for key in COLUMNS),
             f"{v.n}/{len(v.runs)}"] for v in study.variants]
    lines += markdown_table([_("variant"), *(_(word) for word in COLUMNS.values()), _("n")], rows) + [""]
    # Normalised x is compared with the same setting on raw x where the study has it, else with the baseline.
    lines += [f"- {_sentence(v, reference)}" for v in scored if v.name != base.name
              and (reference := _raw_twin(study, v) or base).n]
    if scored:
        first = {v.name: next(r for r in v.runs if r.ok) for v in scored}
        fig = figures.poly_curves({name: results.read_json(run.folder / "curves.json") for name, run in first.items()},
                                plots.variant_colors(list(first)), study.config["noise"] ** 2,
                                plots._("{study}: median MSE over initialisations (first seed)").format(study=study.name))
        lines += ["", image(fig, root, f"{study.name}-curves.png", f"{study.name} curves")]
        for v in scored:
            lines += ["", copied_image(root, first[v.name].folder / "fit.png", f"{study.name}-{v.name}-fit.png",
                                       f"{study.name} {v.name} fits")]
    return lines + [""]


def _settings(study: StudyResults, key: str) -> str:
    values = list(dict.fromkeys(str(v.runs[0].config.get(key)) for v in study.variants))
    return values[0] if len(values) == 1 else _("{values} (by variant)").format(values=_(" or ").join(values))


def _raw_twin(study: StudyResults, v: VariantStats) -> VariantStats | None:
    """For a variant on normalised x, the one with every other setting the same on raw x."""
    same = lambda config: {k: val for k, val in config.items() if k not in ("variant", "seed", "overrides", "normalize")}
    if not v.runs[0].config.get("normalize"):
        return None
    return next((w for w in study.variants if not w.runs[0].config.get("normalize")
                 and same(w.runs[0].config) == same(v.runs[0].config)), None)


def _found(study: StudyResults, scored: list[VariantStats], base: VariantStats) -> str:
    if not scored:
        return _("no run finished.")
    parts = [_lowest(scored, "min_val_mse", _("the lowest validation MSE"), 3)]
    fastest = [v for v in scored if len(v.values("epochs_to_fit")) == v.n]  # every seed got there
    if fastest:
        parts.append(_lowest(fastest, "epochs_to_fit", _("the fewest epochs to fit the training sample"), 0))
    return _("; ").join(parts) + _(".")


def _lowest(scored: list[VariantStats], key: str, what: str, digits: int) -> str:
    """The variant lowest on `key`, named as such only where it is lower than the next beyond seed noise
    (paired by seed, as a seed draws the same sample for every variant); else that none stands out."""
    ranked = sorted(scored, key=lambda v: v.mean_sd(key)[0])
    first = ranked[0]
    figure = f"{fmt(*first.mean_sd(key), digits=digits)}"
    if len(ranked) == 1:
        return _("{what}: **{name}** ({figure})").format(what=what, name=first.name, figure=figure)
    second = ranked[1]
    ours, theirs = _paired(first, second, key)
    c = compare(ours, theirs, paired=True) if len(ours) >= 2 else None
    if c is not None and c.distinguishable:
        return _("{what}: **{name}** ({figure}; beyond seed noise against the next, {second})").format(
            what=what, name=first.name, figure=figure, second=second.name)
    why = _("too few seeds to tell") if c is None or c.low is None else _("within seed noise")
    return _("no variant has {what} beyond seed noise ({first} {figure} and {second} {second_figure}: {why})").format(
        what=what, first=first.name, figure=figure, second=second.name, second_figure=fmt(*second.mean_sd(key), digits=digits),
        why=why)


def _sentence(v: VariantStats, base: VariantStats) -> str:
    """Against the baseline, seed by seed (a seed draws the same sample and initialisations for both)."""
    parts = []
    for key, what in (("min_val_mse", _("lowest validation MSE")), ("epochs_to_fit", _("epochs to fit"))):
        ours, theirs = _paired(v, base, key)
        if key == "epochs_to_fit" and len(ours) < len(v.runs):
            parts.append(_("{what}: within 2σ² in {reached} of {n} seeds vs {base_reached} of {base_n}").format(
                what=what, reached=len(v.values(key)), n=v.n, base_reached=len(base.values(key)), base_n=base.n))
            continue
        if len(ours) < 2:
            parts.append(_("{what} {ours} vs {theirs} (too few seeds for an interval)").format(
                what=what, ours=fmt(*v.mean_sd(key), digits=3), theirs=fmt(*base.mean_sd(key), digits=3)))
            continue
        c = compare(ours, theirs, paired=True)
        if c.low is None:
            parts.append(_("{what} {difference} (no interval)").format(what=what, difference=f"{c.difference:+.3g}"))
            continue
        parts.append((_("{what} {difference} (95% CI {low} to {high}, beyond seed noise)") if c.distinguishable else
                      _("{what} {difference} (95% CI {low} to {high}, within seed noise)")).format(
            what=what, difference=f"{c.difference:+.3g}", low=f"{c.low:+.3g}", high=f"{c.high:+.3g}"))
    return sentences(_("**{name}** against {base}, paired by seed: {parts}.").format(name=v.name, base=base.name, parts=_("; ").join(parts)),
                     changed_sentence(v, base, _("the difference"), base.name))


def _paired(v: VariantStats, base: VariantStats, key: str) -> tuple[list[float], list[float]]:
    ours = {r.metrics["seed"]: r.metrics.get(key) for r in v.runs if r.ok}
    theirs = {r.metrics["seed"]: r.metrics.get(key) for r in base.runs if r.ok}
    seeds = sorted(s for s in ours if s in theirs and ours[s] is not None and theirs[s] is not None)
    return [float(ours[s]) for s in seeds], [float(theirs[s]) for s in seeds]


def _polynomial(coefficients: list[float]) -> str:
    terms = [f"{c:g}" + ("" if k == 0 else "x" if k == 1 else f"x^{k}") for k, c in enumerate(coefficients) if c]
    return " + ".join(terms).replace("+ -", "− ") or "0"
