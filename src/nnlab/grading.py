"""`nnlab grade`: a class's submissions checked against the handout and the teacher's reference runs,
a row per student. What is checked, and what each flag means:

    complete     every run the manifest asks for, finished                     missing: not handed in
    intact       checksums, run key = config + seed + data, curves = metrics   damaged: edited after the run
    as asked     each run's config fingerprint is the handout's                 changed: which settings
    protocol     the epoch chosen on the validation split, the test set         protocol: how it was broken
                 touched once (the kind's record rules, and no split: test)
    figures      each test accuracy against the reference: the same run key     outside: by how far
                 must give the same figure to the last digit; another run
                 must land in the reference's 95% prediction interval
    copies       two students holding the same run record (the same key and     copy: of whom
                 the same start time; or, where the handout gave each student
                 their own seeds, the same key at all)
    answers      each stated verdict against the reference's measured one       wrong: what the seeds say
    rerun        (--rerun K) K runs trained again here from the recorded        rerun: what came back
                 config and seed (nnlab.reproduce's verdicts)

A flag is evidence to look at, with its reason, not a mark: a figure just outside the band happens to
an honest run 5% of the time (so one alone is "unusual"; two, or one further out than half the band's
width, about three standard deviations, are to look at); a rerun on another CPU family may differ in the last digits, which
nnlab.reproduce tells from a figure that moved.

    grade(handout, submissions, reference, rerun, data_dir)   the class (Student rows), pure but for reading
    table(students)                                            the class table, as Markdown
"""

from __future__ import annotations

import csv
import json
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import handout, submission
from .changes import settings_changed
from .conclusions import analyse
from .config import load_study
from .errors import NnlabError
from .report_data import Run, StudyResults, VariantStats, collect_study
from .stats import prediction_interval

UNUSUAL = 1  # figures outside the reference band that an honest run of many can show (5% each)
# The same config and seed on another CPU family may flip a few test predictions (last digits), not more.
FAR_FROM_SAME = 0.01
RUN_LABELS = ("variant", "seed", "overrides", "seeds", "name", "description", "baseline", "references")  # no run's numbers


@dataclass
class Student:
    name: str
    file: Path
    required: int = 0
    present: int = 0
    flags: dict[str, list[str]] = field(default_factory=dict)  # check -> reasons
    accuracy: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (study, variant) -> test accuracies
    records: dict[str, tuple] = field(default_factory=dict)  # run key -> (start time, where, seed)
    answers: list[dict] = field(default_factory=list)
    far: int = 0  # figures far from where the reference's runs land: not an honest run's 5%
    outside: set = field(default_factory=set)  # (study, variant) of the figures flagged

    def flag(self, check: str, reason: str) -> None:
        self.flags.setdefault(check, []).append(reason)

    @property
    def clean(self) -> bool:
        return not self.far and not any(check != "figures" or len(reasons) > UNUSUAL for check, reasons in self.flags.items())


def grade(folder: Path, files: list[Path], reference: Path, rerun: int = 0, data_dir: str | None = None) -> tuple[list[Student], dict]:
    """Each submission's Student row, and the reference's 95% band per (study, variant)."""
    manifest = handout.read(folder)
    asked = {name: {v.id: v for v in load_study(Path(folder) / entry["config"]).variants}
             for name, entry in manifest["studies"].items()}
    bands, keyed, verdicts = _reference(manifest, Path(reference), asked)
    students = []
    with tempfile.TemporaryDirectory(prefix="nnlab-grade-") as scratch:
        for k, file in enumerate(files):
            info, runs, answers = submission.open_zip(Path(file), Path(scratch) / str(k))
            student = Student(str(info.get("student") or Path(file).stem), Path(file), answers=answers)
            if info.get("handout") != handout.digest(folder):
                student.flag("as asked", "answers another handout (its manifest differs)")
            _check_runs(student, manifest, runs, asked, bands, keyed)
            _record_all(student, runs)
            _check_answers(student, verdicts)
            if rerun:
                _rerun(student, runs, rerun, data_dir)
            students.append(student)
    _check_copies(students, manifest.get("students") or {})
    return students, bands


def _reference(manifest: dict, root: Path, asked: dict):
    """Per (study, variant): the 95% band where one more run's test accuracy lands, the reference's
    figure of each run (by run key; by variant and seed where the reference is a committed report's
    summary.csv, whose rows are the handout's configs'), and the measured verdict against the baseline."""
    bands, keyed, verdicts = {}, {}, {}
    for name in manifest["studies"]:
        study = collect_study(root / name) if (root / name).is_dir() else None
        study = study or _from_summary(root / name, asked[name])
        if study is None:
            raise NnlabError(f"{root}: holds no finished run of {name}, nor its summary.csv; give the teacher's results "
                             f"of the handout's studies (their run folders, or the committed report's results folder)")
        analysis = analyse(study)
        for v in study.variants:
            values = v.values("test_accuracy")
            bands[name, v.name] = prediction_interval(values)
            for run in v.runs:
                if run.ok:
                    keyed[run.metrics.get("run_key") or (name, v.name, run.metrics["seed"])] = run.metrics.get("test_accuracy")
            verdict = analysis.verdicts.get(v.name)
            if verdict is not None:
                c = verdict.comparison
                word = ("better" if c.difference > 0 else "worse") if verdict.beyond_noise else "cannot tell"
                verdicts[name, v.name] = (word, c)
    return bands, keyed, verdicts


def _from_summary(folder: Path, variants: dict) -> StudyResults | None:
    """A study read from its summary.csv alone (what the committed report keeps): a run per row, with
    the handout's config of its variant, so the analysis pairs seeds as it would from run folders."""
    path = folder / "summary.csv"
    if not path.is_file():
        return None
    with path.open() as f:
        rows = [row for row in csv.DictReader(f) if row.get("variant") in variants and row.get("status") == "ok"]
    if not rows:
        return None
    study = StudyResults(folder.name, folder)
    for name, variant in variants.items():
        runs = [Run(folder / name / f"seed-{row['seed']}",
                    {"seed": int(row["seed"]), "status": "ok", "test_accuracy": float(row["test_accuracy"]), "variant": name},
                    {**variant.config.model_dump(mode="json"), "variant": name}, None, None) for row in rows if row["variant"] == name]
        if runs:
            study.variants.append(VariantStats(name, runs))
    return study


def _check_runs(student: Student, manifest: dict, runs: Path, asked: dict, bands: dict, keyed: dict) -> None:
    for study, variant, seed in submission.required(manifest, student.name):
        student.required += 1
        folder = runs / study / variant / f"seed-{seed}"
        found = submission.run_problems(manifest, runs, study, variant, seed)
        where = f"{study}/{variant} seed {seed}"
        if any(kind == submission.MISSING for kind, _ in found):
            student.flag("complete", f"{where} missing")
            continue
        student.present += 1
        try:
            metrics = json.loads((folder / "metrics.json").read_text())
            provenance = json.loads((folder / "provenance.json").read_text()) if (folder / "provenance.json").is_file() else {}
        except ValueError:
            student.flag("intact", f"{where}: metrics.json or provenance.json is not JSON")
            continue
        config = provenance.get("config") or {}
        for kind, text in found:
            if kind == submission.OTHER_CONFIG:
                changed = [(k, a, b) for k, a, b in settings_changed(config, asked[study][variant].config.model_dump(mode="json"))
                           if k not in RUN_LABELS]
                student.flag("as asked", f"{where}: " + ("; ".join(f"{k} {a} (asked: {b})" for k, a, b in changed) or text))
            elif kind == submission.DAMAGED and "best_epoch" in text:  # the recorded epoch is not the curves' choice
                student.flag("protocol", f"{where}: {text}")
            elif kind == submission.UNFINISHED:
                student.flag("complete", f"{where}: {text}")
            else:
                student.flag("intact", f"{where}: {text}")
        if (config.get("validation") or {}).get("split") == "test" or str(metrics.get("protocol", "")).startswith("course"):
            student.flag("protocol", f"{where}: the epoch was chosen on the test set (validation split test)")
        test = metrics.get("test_accuracy")
        if test is None:
            continue
        student.accuracy.setdefault((study, variant), []).append(test)
        same = keyed.get(metrics.get("run_key"), keyed.get((study, variant, seed)) if not found else None)
        band = bands.get((study, variant))
        width = band[1] - band[0] if band else 0.0
        if (same is not None and test != same) or (same is None and band and not band[0] <= test <= band[1]):
            student.outside.add((study, variant))
        if same is not None and test != same:
            student.far += abs(test - same) > FAR_FROM_SAME
            student.flag("figures", f"{where}: test accuracy {test:.4f}, but the reference's run of the same key gave {same:.4f}")
        elif same is None and band and not band[0] <= test <= band[1]:
            off = test - band[1] if test > band[1] else test - band[0]
            student.far += abs(off) > width / 2
            student.flag("figures", f"{where}: test accuracy {test:.4f}, {abs(off) * 100:.1f} points "
                                    f"{'above' if off > 0 else 'below'} the reference's 95% band {band[0]:.4f}–{band[1]:.4f}"
                                    + (" (further out than half the band's width: about 3 standard deviations)"
                                       if abs(off) > width / 2 else ""))


def _record_all(student: Student, runs: Path) -> None:
    """Every run record the submission holds, asked for or not (a copied folder need not be one asked for)."""
    for metrics_file in sorted(runs.glob("*/*/seed-*/metrics.json")):
        try:
            key = json.loads(metrics_file.read_text()).get("run_key")
            started = json.loads((metrics_file.parent / "provenance.json").read_text()).get("started")
        except (OSError, ValueError):
            continue
        folder = metrics_file.parent
        seed = int(folder.name.removeprefix("seed-")) if folder.name.removeprefix("seed-").isdigit() else None
        student.records[key] = (started, f"{folder.parent.parent.name}/{folder.parent.name} {folder.name.replace('-', ' ')}", seed)


def _check_answers(student: Student, verdicts: dict) -> None:
    for answer in student.answers:
        said, measured = answer.get("verdict"), verdicts.get((answer["study"], answer["variant"]))
        if said is None or measured is None:
            continue
        word, c = measured
        if said != word:
            interval = f"{c.difference * 100:+.1f} points, 95% CI {c.low * 100:+.1f} to {c.high * 100:+.1f}" if c.low is not None else ""
            student.flag("answers", f"{answer['study']}/{answer['variant']}: says {said}; the reference's seeds say {word}"
                                    + (f" ({interval})" if interval else ""))


def _check_copies(students: list[Student], seeds: dict[str, list[int]]) -> None:
    """The same run record in two submissions: the same key and start time (or, with seeds of their
    own, the same key at all, which no two honest students can have). Where the handout gave each
    student their own seeds, the one holding the other's seeds is the copier; else both are named."""
    for i, a in enumerate(students):
        for b in students[i + 1:]:
            shared = [(where, seed) for key, (started, where, seed) in a.records.items()
                      if key in b.records and (seeds or started == b.records[key][0])]
            if not shared:
                continue
            owner = {s: [name for name, mine in seeds.items() if s in mine] for _, s in shared}
            for holder, other in ((a, b), (b, a)):
                if seeds and all(owner[s] == [holder.name] for _, s in shared):
                    continue  # the records are of the holder's own seeds: the other one copied them
                holder.flag("copies", f"{len(shared)} run records identical to {other.name}'s (e.g. {shared[0][0]})"
                            + (f", of {other.name}'s seeds" if seeds and all(owner[s] == [other.name] for _, s in shared) else ""))


def _rerun(student: Student, runs: Path, k: int, data_dir: str | None) -> None:
    from .api import reproduce_runs

    findings, _skipped = reproduce_runs(runs, sample=k, data_dir=data_dir, quiet=True)
    for finding in findings:
        if finding.state in ("beyond noise", "failed"):
            student.flag("rerun", f"{finding.run}: {finding.text}")


CHECKS = ("complete", "intact", "as asked", "protocol", "figures", "copies", "answers", "rerun")


def table(students: list[Student]) -> list[str]:
    """The class table (a row per student, a column per check) and each flag's reason under it."""
    header = ["student", "runs", *CHECKS, "verdict"]
    rows = []
    for s in students:
        cells = [s.name, f"{s.present}/{s.required}"]
        for check in CHECKS:
            reasons = s.flags.get(check, [])
            if check == "figures" and s.far:
                cells.append(f"**{len(reasons)}** ({s.far} far)")
            else:
                cells.append("ok" if not reasons else ("unusual (1)" if check == "figures" and len(reasons) <= UNUSUAL
                                                       else f"**{len(reasons)}**"))
        cells.append("clean" if s.clean else "**look**")
        rows.append(cells)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    for s in students:
        if s.flags:
            lines += ["", f"**{s.name}** ({s.file.name}):"]
            lines += [f"- {check}: {reason}" for check in CHECKS for reason in s.flags.get(check, [])]
    return lines


def class_means(students: list[Student]) -> dict[tuple[str, str], dict[str, float]]:
    """Each variant's test accuracy per student (mean over their seeds): the class figure's points."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for s in students:
        for key, values in s.accuracy.items():
            out.setdefault(key, {})[s.name] = statistics.fmean(values)
    return out
