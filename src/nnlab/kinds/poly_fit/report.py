"""The `poly_fit` kind's part of the report: each variant's fit over seeds (its training and validation
MSE, the lowest validation MSE and when it came, how much the net overfits after it, how fast it
learns), the comparison with the baseline with its interval over seeds, and the fits as figures."""

from __future__ import annotations

from pathlib import Path

from ... import plots, results
from ...conclusions import changed_sentence
from ...report_data import StudyResults, VariantStats
from ...report_parts import copied_image, fmt, image, markdown_table
from ...stats import compare

COLUMNS = {"final_train_mse": "train MSE at the end", "min_val_mse": "lowest validation MSE",
           "min_val_epoch": "epoch of the lowest", "final_val_mse": "validation MSE at the end",
           "overfit": "rise after the lowest", "epochs_to_fit": "epochs to train MSE ≤ 2σ²",
           "repeats_fitted": "initialisations that got there", "diverged_repeats": "diverged"}


def section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    scored = [v for v in study.variants if v.n]
    base = study.variant(study.baseline)
    lines = study.heading(_found(study, scored, base))
    model = c.get("model", {})
    lines += [f"y = {_polynomial(c['coefficients'])} on [{c['x_range'][0]}, {c['x_range'][1]}] plus Gaussian noise "
              f"(σ = {c['noise']}); {c['train_points']} training and {c['validation_points']} validation points drawn "
              f"from each seed; a 1-{'-'.join(map(str, model.get('units', [])))}-1 {model.get('activation')} net, "
              f"{_settings(study, 'optimizer')} at lr {_settings(study, 'learning_rate')}, {c['epochs']} full-batch "
              f"epochs, {c['repeats']} initialisations per seed trained at once. Each figure is the median over a run's initialisations, "
              f"then mean ± sd over seeds. The noise floor σ² = {c['noise'] ** 2:.3g} is what the polynomial itself "
              "scores on fresh points.", ""]
    rows = [[study.label(v), *(fmt(*v.mean_sd(key), digits=0 if key in ("min_val_epoch", "epochs_to_fit") else
                                   1 if key in ("repeats_fitted", "diverged_repeats") else 3) for key in COLUMNS),
             f"{v.n}/{len(v.runs)}"] for v in study.variants]
    lines += markdown_table(["variant", *COLUMNS.values(), "n"], rows) + [""]
    # Normalised x is compared with the same setting on raw x where the study has it, else with the baseline.
    lines += [f"- {_sentence(v, reference)}" for v in scored if v.name != base.name
              and (reference := _raw_twin(study, v) or base).n]
    if scored:
        first = {v.name: next(r for r in v.runs if r.ok) for v in scored}
        fig = plots.poly_curves({name: results.read_json(run.folder / "curves.json") for name, run in first.items()},
                                plots.variant_colors(list(first)), study.config["noise"] ** 2,
                                f"{study.name}: median MSE over initialisations (first seed)")
        lines += ["", image(fig, root, f"{study.name}-curves.png", f"{study.name} curves")]
        for v in scored:
            lines += ["", copied_image(root, first[v.name].folder / "fit.png", f"{study.name}-{v.name}-fit.png",
                                       f"{study.name} {v.name} fits")]
    return lines + [""]


def _settings(study: StudyResults, key: str) -> str:
    values = list(dict.fromkeys(str(v.runs[0].config.get(key)) for v in study.variants))
    return values[0] if len(values) == 1 else " or ".join(values) + " (by variant)"


def _raw_twin(study: StudyResults, v: VariantStats) -> VariantStats | None:
    """For a variant on normalised x, the one with every other setting the same on raw x."""
    same = lambda config: {k: val for k, val in config.items() if k not in ("variant", "seed", "overrides", "normalize")}
    if not v.runs[0].config.get("normalize"):
        return None
    return next((w for w in study.variants if not w.runs[0].config.get("normalize")
                 and same(w.runs[0].config) == same(v.runs[0].config)), None)


def _found(study: StudyResults, scored: list[VariantStats], base: VariantStats) -> str:
    if not scored:
        return "no run finished."
    parts = [_lowest(scored, "min_val_mse", "the lowest validation MSE", 3)]
    fastest = [v for v in scored if len(v.values("epochs_to_fit")) == v.n]  # every seed got there
    if fastest:
        parts.append(_lowest(fastest, "epochs_to_fit", "the fewest epochs to fit the training sample", 0))
    return "; ".join(parts) + "."


def _lowest(scored: list[VariantStats], key: str, what: str, digits: int) -> str:
    """The variant lowest on `key`, named as such only where it is lower than the next beyond seed noise
    (paired by seed, as a seed draws the same sample for every variant); else that none stands out."""
    ranked = sorted(scored, key=lambda v: v.mean_sd(key)[0])
    first = ranked[0]
    figure = f"{fmt(*first.mean_sd(key), digits=digits)}"
    if len(ranked) == 1:
        return f"{what}: **{first.name}** ({figure})"
    second = ranked[1]
    ours, theirs = _paired(first, second, key)
    c = compare(ours, theirs, paired=True) if len(ours) >= 2 else None
    if c is not None and c.distinguishable:
        return f"{what}: **{first.name}** ({figure}; beyond seed noise against the next, {second.name})"
    why = "too few seeds to tell" if c is None or c.low is None else "within seed noise"
    return (f"no variant has {what} beyond seed noise ({first.name} {figure} and {second.name} "
            f"{fmt(*second.mean_sd(key), digits=digits)}: {why})")


def _sentence(v: VariantStats, base: VariantStats) -> str:
    """Against the baseline, seed by seed (a seed draws the same sample and initialisations for both)."""
    parts = []
    for key, what in (("min_val_mse", "lowest validation MSE"), ("epochs_to_fit", "epochs to fit")):
        ours, theirs = _paired(v, base, key)
        if key == "epochs_to_fit" and len(ours) < len(v.runs):
            parts.append(f"{what}: within 2σ² in {len(v.values(key))} of {v.n} seeds vs {len(base.values(key))} of {base.n}")
            continue
        if len(ours) < 2:
            parts.append(f"{what} {fmt(*v.mean_sd(key), digits=3)} vs {fmt(*base.mean_sd(key), digits=3)} "
                         "(too few seeds for an interval)")
            continue
        c = compare(ours, theirs, paired=True)
        interval = f"95% CI {c.low:+.3g} to {c.high:+.3g}" if c.low is not None else "no interval"
        verdict = ("beyond seed noise" if c.distinguishable else "within seed noise") if c.low is not None else ""
        parts.append(f"{what} {c.difference:+.3g} ({interval}, {verdict})".replace(", )", ")"))
    return f"**{v.name}** against {base.name}, paired by seed: " + "; ".join(parts) + ". " + changed_sentence(v, base, "the difference", base.name)


def _paired(v: VariantStats, base: VariantStats, key: str) -> tuple[list[float], list[float]]:
    ours = {r.metrics["seed"]: r.metrics.get(key) for r in v.runs if r.ok}
    theirs = {r.metrics["seed"]: r.metrics.get(key) for r in base.runs if r.ok}
    seeds = sorted(s for s in ours if s in theirs and ours[s] is not None and theirs[s] is not None)
    return [float(ours[s]) for s in seeds], [float(theirs[s]) for s in seeds]


def _polynomial(coefficients: list[float]) -> str:
    terms = [f"{c:g}" + ("" if k == 0 else "x" if k == 1 else f"x^{k}") for k, c in enumerate(coefficients) if c]
    return " + ".join(terms).replace("+ -", "− ") or "0"
