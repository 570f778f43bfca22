"""`nnlab submit`: a student's finished runs in one zip file, checked against the handout's manifest
before it is written (one line per problem, and no file while any remains). It holds each required
run folder as nnlab wrote it (config, curves, metrics, provenance, checksums; nnlab keeps no model
weights), the student's answers if they wrote any, and submission.json: who, which handout.

    problems(manifest, results, student)     what keeps the results from being a complete submission
    write(handout, results, student, answers, out)
    read_answers(path)                       answers.yaml, checked
    open_zip(path, into)                     a submission unpacked: (submission.json, runs folder, answers)
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import yaml

from . import handout, integrity, results
from .errors import NnlabError

RUNS = "runs"
SUBMISSION = "submission.json"
ANSWERS = "answers.yaml"
VERDICTS = ("better", "worse", "cannot tell")


def required(manifest: dict, student: str | None) -> list[tuple[str, str, int]]:
    """(study, variant, seed) of every run a complete submission holds."""
    return [(study, variant, seed) for study, entry in manifest["studies"].items() for variant in entry["variants"]
            for seed in handout.seeds_of(manifest, student, study)]


MISSING, DAMAGED, UNFINISHED, OTHER_CONFIG = "missing", "damaged", "unfinished", "other config"


def problems(manifest: dict, root: Path, student: str | None) -> list[str]:
    """One line per required run that is missing, unfinished, damaged or made from another config."""
    return [f"{study}/{variant} seed {seed}: {text}" for study, variant, seed in required(manifest, student)
            for _kind, text in run_problems(manifest, root, study, variant, seed)]


def run_problems(manifest: dict, root: Path, study: str, variant: str, seed: int) -> list[tuple[str, str]]:
    """(MISSING | DAMAGED | UNFINISHED | OTHER_CONFIG, what) of one required run; [] when it is as asked."""
    folder = root / study / variant / f"seed-{seed}"
    if not (folder / results.METRICS).is_file():
        return [(MISSING, f"not run (no {folder}/metrics.json)")]
    metrics, found = integrity.check_run(folder)
    if found:
        return [(DAMAGED, f"{p.file or 'the folder'} {p.what}") for p in found]
    if metrics.get("status") != "ok":
        return [(UNFINISHED, f"{metrics.get('status')}, not finished; run it again")]
    wanted = manifest["studies"][study]["variants"][variant]
    if metrics.get("config_fingerprint") != wanted:
        return [(OTHER_CONFIG, f"trained another config than the handout's (fingerprint {metrics.get('config_fingerprint')}, "
                               f"the handout's {wanted})")]
    return []


def read_answers(path: Path) -> list[dict]:
    """answers.yaml: a list of {study, variant, verdict, best_epoch, why}; a bad entry is refused, named."""
    try:
        answers = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise NnlabError(f"{path}: cannot be read as YAML ({exc})") from None
    if not isinstance(answers, list):
        raise NnlabError(f"{path}: give a list of answers, each {{study: ..., variant: ..., verdict: better | worse | cannot tell}}")
    for i, answer in enumerate(answers):
        if not isinstance(answer, dict) or not {"study", "variant"} <= set(answer):
            raise NnlabError(f"{path}: answers[{i}]: give study and variant")
        if answer.get("verdict") is not None and answer["verdict"] not in VERDICTS:
            raise NnlabError(f"{path}: answers[{i}].verdict: '{answer['verdict']}' is not one of {', '.join(VERDICTS)}")
        if answer.get("best_epoch") is not None and not isinstance(answer["best_epoch"], int):
            raise NnlabError(f"{path}: answers[{i}].best_epoch: a whole number of epochs")
    return answers


def write(folder: Path, root: Path, student: str, answers: Path | None, out: Path) -> list[str]:
    """The zip at `out`, or the problems that keep it from being written (then nothing is written)."""
    manifest = handout.read(folder)
    found = problems(manifest, Path(root), student)
    answered = read_answers(answers) if answers else []
    unknown = [f"{answers}: {a['study']}/{a['variant']} is not a variant of the handout" for a in answered
               if a["variant"] not in manifest["studies"].get(a["study"], {}).get("variants", {})]
    if found or unknown:
        return found + unknown
    part = out.with_name(out.name + ".part")
    with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(SUBMISSION, json.dumps({"student": student, "handout": handout.digest(folder), "nnlab": manifest["nnlab"]},
                                          indent=1))
        for study, variant, seed in required(manifest, student):
            run = Path(root) / study / variant / f"seed-{seed}"
            for file in sorted(p for p in run.iterdir() if p.is_file() and not p.name.startswith(".")):
                z.write(file, f"{RUNS}/{study}/{variant}/seed-{seed}/{file.name}")
        if answers:
            z.write(answers, ANSWERS)
    part.replace(out)
    return []


def open_zip(path: Path, into: Path) -> tuple[dict, Path, list[dict]]:
    """Unpack a submission into `into`: what submission.json says, its runs folder, its answers."""
    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("/") or ".." in Path(name).parts:
                    raise NnlabError(f"{path}: holds a path outside the submission ({name})")
            z.extractall(into)
    except zipfile.BadZipFile:
        raise NnlabError(f"{path}: not a zip file; give what `nnlab submit` wrote") from None
    try:
        info = json.loads((into / SUBMISSION).read_text())
    except (OSError, ValueError):
        raise NnlabError(f"{path}: has no readable {SUBMISSION}; give what `nnlab submit` wrote") from None
    answers = read_answers(into / ANSWERS) if (into / ANSWERS).is_file() else []
    return info, into / RUNS, answers
