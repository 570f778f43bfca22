"""The report: read every run folder under a results folder, write report.md and report.html.

Every number comes from the run folders (metrics.json, search_history.json, provenance.json);
every sentence is generated from those numbers, so editing a metrics file changes the report.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import statistics

import markdown
import yaml
from scipy import stats as scipy_stats

from . import plots, results
from .errors import NnlabError
from .stats import TEST_NAME, compare, mean_sd
from .describe import describe_solution

ASSETS = "report_assets"
# Published test accuracies the exercises are checked against (Deep Learning with Python).
BOOK = {"imdb": ("≈ 0.88", "DLwP §3.4"), "reuters": ("≈ 0.78–0.80", "DLwP §3.5"),
        "mnist": ("≈ 0.98", "DLwP ch. 2, dense net")}


@dataclass
class Run:
    folder: Path
    metrics: dict
    config: dict
    provenance: dict | None
    history: dict | None

    @property
    def ok(self) -> bool:
        return self.metrics.get("status") == "ok"


@dataclass
class VariantStats:
    name: str
    runs: list[Run]

    def values(self, key: str) -> list[float]:
        return [float(r.metrics[key]) for r in self.runs if r.ok and r.metrics.get(key) is not None]

    def mean_sd(self, key: str):
        return mean_sd(self.values(key))

    @property
    def n(self) -> int:
        return sum(r.ok for r in self.runs)

    @property
    def problems(self) -> list[str]:
        return [f"seed {r.metrics['seed']}: {r.metrics['status']}" + (
            f" at epoch {r.metrics['diverged_epoch']}" if r.metrics.get("diverged_epoch") else "")
            for r in self.runs if not r.ok]


@dataclass
class StudyResults:
    name: str
    folder: Path
    variants: list[VariantStats] = field(default_factory=list)

    @property
    def runs(self) -> list[Run]:
        return [r for v in self.variants for r in v.runs]

    @property
    def config(self) -> dict:
        return self.runs[0].config

    @property
    def baseline(self) -> str:
        wanted = self.config.get("baseline")
        names = [v.name for v in self.variants]
        return wanted if wanted in names else names[0]

    def variant(self, name: str) -> VariantStats:
        return next(v for v in self.variants if v.name == name)

    @property
    def kind(self) -> str:
        return self.config.get("kind", "train")  # runs made before study kinds existed are training runs


# --- reading -----------------------------------------------------------------------------------

def collect(root: Path) -> list[StudyResults]:
    studies = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and p.name != ASSETS):
        runs = [_read_run(m.parent) for m in sorted(folder.glob(f"*/seed-*/{results.METRICS}"))]
        runs += [_read_run(f.parent) for f in sorted(folder.glob(f"*/seed-*/{results.FAILURE}"))
                 if not (f.parent / results.METRICS).is_file()]
        if not runs:
            continue
        order = _variant_order(folder, runs)
        study = StudyResults(folder.name, folder)
        for name in order:
            chosen = sorted((r for r in runs if r.metrics["variant"] == name), key=lambda r: r.metrics["seed"])
            study.variants.append(VariantStats(name, chosen))
        studies.append(study)
    return studies


def _read_run(folder: Path) -> Run:
    metrics_path = folder / results.METRICS
    metrics = results.read_json(metrics_path if metrics_path.is_file() else folder / results.FAILURE)
    config_path, provenance_path, history_path = (folder / n for n in ("config.yaml", "provenance.json", "search_history.json"))
    config = yaml.safe_load(config_path.read_text()) if config_path.is_file() else {}
    return Run(folder, metrics, config,
               results.read_json(provenance_path) if provenance_path.is_file() else None,
               results.read_json(history_path) if history_path.is_file() else None)


def _variant_order(folder: Path, runs: list[Run]) -> list[str]:
    """Config order, as the study summary keeps it; variants it does not list come last, by name."""
    names = sorted({r.metrics["variant"] for r in runs})
    summary = folder / "summary.json"
    listed = list(dict.fromkeys(row["variant"] for row in results.read_json(summary))) if summary.is_file() else []
    return [n for n in listed if n in names] + [n for n in names if n not in listed]


# --- numbers into words ------------------------------------------------------------------------

def fmt(mean: float | None, sd: float | None = None, digits: int = 4) -> str:
    if mean is None:
        return "—"
    return f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


def trivial_baselines(study: StudyResults) -> dict[str, float]:
    """Accuracy of always answering the training set's most common class, and of guessing at random
    with the training set's class frequencies, on this study's test labels."""
    run = next((r for r in study.runs if r.metrics.get("test_label_counts")), None)
    if run is None:
        return {}
    train, test = run.metrics["train_label_counts"], run.metrics["test_label_counts"]
    n_train, n_test = sum(train), sum(test)
    majority = max(range(len(train)), key=train.__getitem__)
    return {"majority class": test[majority] / n_test,
            "random guessing": sum(a / n_train * b / n_test for a, b in zip(train, test))}


def comparison_sentence(study: StudyResults, variant: VariantStats) -> str:
    base = study.variant(study.baseline)
    a, b = variant.values("test_accuracy"), base.values("test_accuracy")
    if not a or not b:
        return f"**{variant.name}**: no finished run to compare ({'; '.join(variant.problems or base.problems)})."
    c = compare(a, b)
    (ea, _), (eb, _) = variant.mean_sd("best_epoch"), base.mean_sd("best_epoch")
    head = (f"**{variant.name}** vs {base.name}: test accuracy {fmt(sum(a) / len(a))} (n={len(a)}) vs "
            f"{fmt(sum(b) / len(b))} (n={len(b)}), difference {c.difference:+.4f}")
    epochs = f"; best epoch {ea:.1f} vs {eb:.1f}"
    if c.low is None:
        return (f"{head}{epochs}. With one seed on a side there is no estimate of seed noise: "
                f"run with `--seeds 3` or more before reading anything into this difference.")
    where = "better" if c.difference > 0 else "worse"
    if c.p_value is None:
        verdict = f"every seed gave the same figure, so it is {where} by exactly that" if c.difference else "identical on every seed"
        return f"{head}{epochs}: {verdict}."
    verdict = (f"{where} than the baseline beyond seed noise" if c.distinguishable
               else "not distinguishable from seed noise")
    return (f"{head} (95% CI {c.low:+.4f} to {c.high:+.4f}; {TEST_NAME}, p = {c.p_value:.3f}){epochs}: {verdict}.")


# --- writing -----------------------------------------------------------------------------------

def build(root: Path) -> tuple[Path, Path]:
    root = Path(root)
    studies = collect(root) if root.is_dir() else []
    if not studies:
        raise NnlabError(f"{root} holds no finished runs: run `nnlab run CONFIG --results {root}` first")
    lines = _front_page(root, studies)
    sections = {"train": _study_section, "xor": _xor_section, "lr_decay_demo": _lr_decay_section,
                "activation_gallery": _gallery_section}
    for study in studies:
        lines += sections[study.kind](root, study)
    text = "\n".join(lines) + "\n"
    md_path, html_path = root / "report.md", root / "report.html"
    results.write_bytes(md_path, text.encode())
    results.write_bytes(html_path, to_html(text, root).encode())
    return md_path, html_path


def _front_page(root: Path, studies: list[StudyResults]) -> list[str]:
    runs = [r for s in studies for r in s.runs]
    seeds = sorted({r.metrics["seed"] for r in runs})
    seconds = sum(r.metrics.get("wall_time_s") or 0 for r in runs)
    statuses = {s: sum(r.metrics["status"] == s for r in runs) for s in ("ok", "diverged", "failed")}
    lines = [
        "# nnlab report", "",
        f"Generated {dt.datetime.now().astimezone().isoformat(timespec='seconds')} from `{root}` by `nnlab report`.",
        "Every figure below is read from the run folders; each run can be repeated from its "
        "`config.yaml` and seed.", "",
        "## What was run", "",
        f"- Studies: {len(studies)} ({', '.join(s.name for s in studies)})",
        f"- Variants: {sum(len(s.variants) for s in studies)}; seeds: {', '.join(map(str, seeds))}",
        f"- Runs: {len(runs)} (" + ", ".join(f"{v} {k}" for k, v in statuses.items() if v) + ")",
        f"- Training time, all runs: {dt.timedelta(seconds=round(seconds))}", "",
        "## Headline: best variant per study", "",
        "| study | best variant | test accuracy | baseline | baseline test accuracy | book |",
        "|---|---|---|---|---|---|",
    ]
    for s in (s for s in studies if s.kind == "train"):
        scored = [v for v in s.variants if v.n]
        if not scored:
            lines.append(f"| {s.name} | — | — | {s.baseline} | — | — |")
            continue
        best = max(scored, key=lambda v: v.mean_sd("test_accuracy")[0])
        dataset = s.config.get("dataset", {})
        if dataset.get("sample") or dataset.get("subset"):
            book = "— (" + ("bundled sample" if dataset.get("sample") else f"subset of {dataset['subset']}") + ")"
        else:
            book = " ".join(BOOK.get(dataset.get("name"), ("—", "")))
        lines.append(f"| {s.name} | {best.name} | {fmt(*best.mean_sd('test_accuracy'), digits=3)} (n={best.n}) | "
                     f"{s.baseline} | {fmt(*s.variant(s.baseline).mean_sd('test_accuracy'), digits=3)} | {book} |")
    lines += ["", "## Environment", ""] + _environment(runs) + [""]
    return lines


def _environment(runs: list[Run]) -> list[str]:
    envs = [r.provenance["environment"] for r in runs if r.provenance]
    if not envs:
        return ["No provenance recorded."]
    rows = []
    for key, label in (("nnlab", "nnlab"), ("commit", "git commit"), ("python", "Python"),
                       ("tensorflow", "TensorFlow"), ("keras", "Keras"), ("numpy", "numpy"),
                       ("platform", "platform"), ("cpu", "CPU"), ("gpus", "GPUs")):
        values = sorted({", ".join(e[key]) if isinstance(e.get(key), list) else str(e.get(key)) for e in envs})
        rows.append(f"- {label}: {'; '.join(v or 'none' for v in values)}")
    if any(e.get("dirty") for e in envs):
        rows.append("- Some runs were made from a checkout with uncommitted changes.")
    datasets = sorted({(r.provenance["dataset"]["file"], r.provenance["dataset"]["sha256"])
                       for r in runs if r.provenance and r.provenance.get("dataset")})
    rows += [f"- data: `{Path(f).name}` sha256 `{h[:16]}…`" for f, h in datasets]
    return rows


def _study_section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    varies = ", ".join(sorted({k for r in study.runs for k in (r.config.get("overrides") or {})})) or "nothing (one variant)"
    lines = [f"## {study.name}", ""]
    if c.get("description"):
        lines += [c["description"], ""]
    subset = f" (first {c['dataset']['subset']} examples only)" if c["dataset"].get("subset") else ""
    lines += [f"Dataset {c['dataset']['name']}" + (" (bundled sample)" if c["dataset"].get("sample") else "") + subset +
              f"; loss {c.get('loss')}; optimizer {c.get('optimizer', {}).get('name')}; batch {c.get('batch_size')}; "
              f"up to {c.get('epochs')} epochs; best epoch by {c.get('selection', {}).get('metric')} "
              f"({c.get('selection', {}).get('mode')}); what varies: {varies}. "
              f"Runs: `{study.folder.relative_to(root)}/<variant>/seed-<n>/`.", "",
              "| variant | best epoch | val loss | val accuracy | test loss | test accuracy | n | wall time (s) | s / epoch |",
              "|---|---|---|---|---|---|---|---|---|"]
    for v in study.variants:
        name = f"**{v.name}** (baseline)" if v.name == study.baseline else v.name
        (wall, _), (per_epoch, _) = v.mean_sd("wall_time_s"), v.mean_sd("seconds_per_epoch")
        lines.append(f"| {name} | {fmt(*v.mean_sd('best_epoch'), digits=1)} | {fmt(v.mean_sd('best_val_loss')[0])} | "
                     f"{fmt(v.mean_sd('best_val_accuracy')[0])} | {fmt(*v.mean_sd('test_loss'))} | "
                     f"{fmt(*v.mean_sd('test_accuracy'))} | {v.n}/{len(v.runs)} | {fmt(wall, digits=1)} | "
                     f"{fmt(per_epoch, digits=2)} |")
    lines += ["", "Means ± sample standard deviation over seeds; n counts finished runs.", ""]
    trivial = trivial_baselines(study)
    if trivial:
        lines += ["Trivial baselines on the same test set: " +
                  "; ".join(f"{k} {v:.4f}" for k, v in trivial.items()) + ".", ""]
    problems = [f"{v.name} {p}" for v in study.variants for p in v.problems]
    if problems:
        lines += ["Runs that did not finish: " + "; ".join(problems) + ".", ""]
    lines += [f"- {comparison_sentence(study, v)}" for v in study.variants if v.name != study.baseline]
    if c.get("baseline") and c["baseline"] != study.baseline:
        lines += [f"The configured baseline {c['baseline']} has no finished run; {study.baseline} stands in.", ""]
    for alt, name in _figures(root, study, trivial):
        lines += ["", f"![{alt}]({ASSETS}/{name})"]
    lines.append("")
    return lines


def _figures(root: Path, study: StudyResults, trivial: dict[str, float]) -> list[tuple[str, str]]:
    assets = root / ASSETS
    colors = plots.variant_colors([v.name for v in study.variants])
    out = []
    scored = [v for v in study.variants if v.n]
    if scored:
        fig = plots.test_accuracy_bars([v.name for v in scored], [v.mean_sd("test_accuracy")[0] for v in scored],
                                       [v.mean_sd("test_accuracy")[1] for v in scored], [v.n for v in scored],
                                       colors, study.baseline, trivial,
                                       f"{study.name}: test accuracy (mean ± sd over seeds)")
        out.append(_save(fig, assets, f"{study.name}-test-accuracy.png", f"{study.name} test accuracy"))
    first = {v.name: v.runs[0] for v in study.variants if v.runs[0].history}
    if first:
        fig = plots.validation_overlay({n: r.history for n, r in first.items()},
                                       {n: r.metrics.get("best_epoch") for n, r in first.items()},
                                       f"{study.name}: validation curves (first seed)", colors)
        out.append(_save(fig, assets, f"{study.name}-validation.png", f"{study.name} validation curves"))
        rates = {n: r.history.get("learning_rate", []) for n, r in first.items()}
        if any(len(set(r)) > 1 for r in rates.values()):
            fig = plots.rate_overlay(rates, colors, f"{study.name}: learning rate per epoch (first seed)")
            out.append(_save(fig, assets, f"{study.name}-learning-rate.png", f"{study.name} learning rate"))
        grid = {v.name: [(r.history, r.metrics.get("best_epoch")) for r in v.runs if r.history] for v in study.variants}
        fig = plots.learning_curve_grid({k: h for k, h in grid.items() if h}, colors, f"{study.name}: learning curves")
        out.append(_save(fig, assets, f"{study.name}-learning-curves.png", f"{study.name} learning curves"))
    return out


def _save(fig, assets: Path, name: str, alt: str) -> tuple[str, str]:
    results.save_figure(fig, assets / name)
    plots.plt.close(fig)
    return alt, name


def _section_head(study: StudyResults) -> list[str]:
    c = study.config
    return [f"## {study.name}", ""] + ([c["description"], ""] if c.get("description") else [])


def _xor_section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    lines = _section_head(study) + [
        f"A 2-H-1 net (H hidden units, see the variant) on the four XOR points, {c['steps']} full-batch SGD steps at "
        f"lr {c['learning_rate']} on MSE, {c['repeats']} initialisations per variant and seed. Solved: every "
        "output within 0.5 of its target. Dead unit: a hidden unit whose pre-activation is ≤ 0 on all four "
        "points (for ReLU it then never learns again). Identical units: all hidden units end with the same "
        "weights (symmetry never broken).", "",
        "| variant | runs | solved | solved rate (95% Wilson CI) | runs with a dead unit | units identical | median final MSE |",
        "|---|---|---|---|---|---|---|"]
    for v in study.variants:
        ms = [r.metrics for r in v.runs if r.ok]
        if not ms:
            lines.append(f"| {v.name} | — | — | — | — | — | — |")
            continue
        runs, solved = sum(m["repeats"] for m in ms), sum(m["solved"] for m in ms)
        low, high = proportion_interval(solved, runs)
        dead = sum(m["runs_with_dead_unit"] for m in ms) / runs
        same = sum(m["identical_units_rate"] * m["repeats"] for m in ms) / runs
        name = f"**{v.name}** (baseline)" if v.name == study.baseline else v.name
        lines.append(f"| {name} | {runs} | {solved} | {solved / runs:.2f} ({low:.2f}–{high:.2f}) | {dead:.2f} | "
                     f"{same:.2f} | {statistics.median(m['final_loss_median'] for m in ms):.3g} |")
    lines.append("")
    base = study.variant(study.baseline)
    for v in study.variants:
        if v.name != study.baseline and v.n and base.n:
            lines.append(f"- {xor_sentence(v, base)}")
    scored = [v for v in study.variants if v.n]
    if scored:
        rates = {"solved": [], "run with a dead unit": [], "units identical": []}
        for v in scored:
            ms = [r.metrics for r in v.runs if r.ok]
            runs = sum(m["repeats"] for m in ms)
            rates["solved"].append(sum(m["solved"] for m in ms) / runs)
            rates["run with a dead unit"].append(sum(m["runs_with_dead_unit"] for m in ms) / runs)
            rates["units identical"].append(sum(m["identical_units_rate"] * m["repeats"] for m in ms) / runs)
        fig = plots.rate_bars([v.name for v in scored], rates, ["tab:green", "tab:red", "tab:grey"],
                              f"{study.name}: share of runs", "fraction of runs")
        alt, name = _save(fig, root / ASSETS, f"{study.name}-rates.png", f"{study.name} rates")
        lines += ["", f"![{alt}]({ASSETS}/{name})"]
        example = next((r for v in scored for r in v.runs if r.ok and r.metrics["example"]["solved"]), None)
        if example:
            lines += ["", f"Learned weights of one successful run ({example.metrics['variant']}, seed "
                      f"{example.metrics['seed']}):", "", "```", describe_solution(example.metrics["example"]), "```"]
        for v in scored:
            lines += ["", f"![{study.name} {v.name} loss curves]({v.runs[0].folder.relative_to(root)}/curves.png)"]
    return lines + [""]


def proportion_interval(successes: int, total: int) -> tuple[float, float]:
    interval = scipy_stats.binomtest(successes, total).proportion_ci(0.95, method="wilson")
    return float(interval.low), float(interval.high)


def xor_sentence(v: VariantStats, base: VariantStats) -> str:
    def counts(stats):
        ms = [r.metrics for r in stats.runs if r.ok]
        return sum(m["solved"] for m in ms), sum(m["repeats"] for m in ms)

    (a, n), (b, m) = counts(v), counts(base)
    p = scipy_stats.fisher_exact([[a, n - a], [b, m - b]]).pvalue
    verdict = (f"{'more' if a / n > b / m else 'less'} often than the baseline beyond chance" if p < 0.05
               else "not distinguishable from chance")
    return (f"**{v.name}** solves XOR in {a}/{n} runs vs {b}/{m} for {base.name} (difference "
            f"{a / n - b / m:+.2f}; Fisher's exact test p = {p:.3g}): {verdict}.")


def _lr_decay_section(root: Path, study: StudyResults) -> list[str]:
    c = study.config
    lines = _section_head(study) + [
        f"Gradient descent on (w − {c['target']})² from w = {c['w0']}, lr = {c['learning_rate']} · decay_rate^epoch, "
        f"{c['epochs']} epochs (TensorFlow GradientTape).", "",
        "| variant | decay rate | lr at the last epoch | final w | final loss |", "|---|---|---|---|---|"]
    runs = {v.name: v.runs[0] for v in study.variants if v.n}
    for name, r in runs.items():
        rows = r.metrics["rows"]
        lines.append(f"| {name} | {r.config.get('decay_rate')} | {rows[-1]['lr']:.6f} | {r.metrics['final_w']:.6f} | "
                     f"{r.metrics['final_loss']:.3g} |")
    for name, r in runs.items():
        rows = r.metrics["rows"]
        shown = rows[:3] + rows[-2:]
        lines += ["", f"{name}:", "", "```"] + [
            f"After {x['epoch']} epoch, w is {x['w']:f}, loss is {x['loss']:f}, lr is {x['lr']:f}" for x in shown] + ["```"]
    if runs:
        fig = plots.lr_decay_curves({n: r.metrics["rows"] for n, r in runs.items()}, f"{study.name}: w, loss and lr per epoch")
        alt, name = _save(fig, root / ASSETS, f"{study.name}.png", study.name)
        lines += ["", f"![{alt}]({ASSETS}/{name})"]
    return lines + [""]


def _gallery_section(root: Path, study: StudyResults) -> list[str]:
    run = next((r for v in study.variants for r in v.runs if r.ok), None)
    lines = _section_head(study)
    if run is None:
        return lines + ["No finished run.", ""]
    low, high = run.metrics["interval"]
    table = run.metrics["activations"]
    lines += [f"Values and derivatives (automatic differentiation) sampled at {run.metrics['points']} points on "
              f"[{low}, {high}].", "",
              "| activation | min f | max f | min f′ | max f′ | f′(0) |", "|---|---|---|---|---|---|"]
    lines += [f"| {a['activation']} | {a['min']:.4f} | {a['max']:.4f} | {a['derivative_min']:.4f} | "
              f"{a['derivative_max']:.4f} | {a['derivative_at_0']:.4f} |" for a in table]
    small = [a["activation"] for a in table if a["derivative_max"] <= 0.25 + 1e-6]
    if small:
        lines += ["", f"Derivative never above 0.25 on this interval: {', '.join(small)}. Through k such layers "
                  "a gradient shrinks by at least 4^k, which is why deep sigmoid nets learn slowly (vanishing gradients)."]
    lines += ["", f"![{study.name}]({run.folder.relative_to(root)}/gallery.png)"]
    return lines + [""]


def to_html(text: str, root: Path) -> str:
    """One self-contained page: the images are embedded, so the file can be mailed or zipped alone."""
    body = markdown.markdown(text, extensions=["tables"])

    def embed(match: re.Match) -> str:
        data = base64.b64encode((root / match.group(1)).read_bytes()).decode()
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="([^"]+\.png)"', embed, body)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nnlab report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; display: block; margin: 1em 0; }}
code {{ background: #f5f5f5; padding: 0 0.2em; }}
</style></head><body>
{body}
</body></html>
<!-- generated by nnlab report; {html.escape(str(root))} -->
"""
