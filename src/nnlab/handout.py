"""`nnlab assign`: a handout for a class. It holds the study configs the students run, the questions
they answer, the versions to install, and a manifest that fixes what a complete submission is: every
variant of every study (each with the fingerprint of the config it must train) and the seeds to run,
the same for everyone or each student's own (then two students can never hand in the same run, and a
copied run is told apart from two honest ones, which are otherwise bit-identical).

    write(configs, out, students, seeds_per_student, lang)   the handout folder; its manifest
    read(folder)                                             a handout's manifest, checked
    seeds_of(manifest, student)                              the seeds a student runs
"""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path

import yaml

from . import i18n, results
from ._version import __version__
from .config import Study, load_study
from .errors import ConfigError, NnlabError
from .i18n import _
from .suites import load_suite

MANIFEST = "manifest.json"
FORMAT = 1
# What a student installs to run what the teacher ran: nnlab and the packages that decide the numbers.
PINNED = ("tensorflow", "keras", "numpy")
QUESTION = {"en": "Did the test accuracy get better or worse than the baseline's, and why? Say which epoch you chose "
                  "from the validation curves, and what in the curves supports your answer.",
            "zh": "与基线相比，测试集 Accuracy 变好了还是变坏了？为什么？写明你从验证曲线上选的最佳 Epoch，以及曲线上的哪些现象支持你的回答。"}


def studies_of(paths: list[Path]) -> list[Study]:
    """The studies of config files and suite manifests (a suite's studies with its seeds)."""
    studies = []
    for path in paths:
        raw = yaml.safe_load(Path(path).read_text())
        studies += load_suite(path)[1] if isinstance(raw, dict) and "studies" in raw else [load_study(path)]
    return studies


def write(studies: list[Study], out: Path, students: list[str] = (), seeds_per_student: int | None = None,
          lang: str = "en") -> dict:
    """Write the handout into `out` (which must not exist yet, so a handout is never half overwritten)
    and return its manifest. `students` with `seeds_per_student` K: student i runs seeds iK .. iK+K-1."""
    if out.exists():
        raise NnlabError(f"{out}: already exists; give a new folder for the handout")
    for study in studies:
        if study.search:
            raise ConfigError(f"{study.path}: a search study cannot be handed out: its trials depend on the search, "
                              f"so no manifest can say in advance which runs make it complete")
    if len({s.name for s in studies}) != len(studies):
        raise ConfigError("two configs name the same study; a handout holds each study once")
    if students and not seeds_per_student:
        raise NnlabError("--students needs --seeds-per-student: each student runs seeds of their own")
    if len(set(students)) != len(students):
        raise NnlabError("a student is listed twice")
    (out / "configs").mkdir(parents=True)
    manifest = {"format": FORMAT, "nnlab": __version__, "lang": lang, "question": QUESTION[lang],
                "requirements": [f"nnlab=={__version__}"] + [f"{name}=={metadata.version(name)}" for name in PINNED],
                "studies": {s.name: _entry(s) for s in studies},
                "students": {name: list(range(i * seeds_per_student, (i + 1) * seeds_per_student))
                             for i, name in enumerate(students)}}
    for study in studies:
        _copy(study.path, out / "configs" / f"{study.name}.yaml", list(study.seeds))
        for name, seeds in manifest["students"].items():  # the same config with the student's seeds (in no run key)
            _copy(study.path, out / "students" / name / "configs" / f"{study.name}.yaml", seeds)
    results.write_json(out / MANIFEST, manifest)
    (out / "requirements.txt").write_text("\n".join(manifest["requirements"]) + "\n")
    (out / "README.md").write_text(_readme(manifest))
    return manifest


def _copy(source: Path, target: Path, seeds: list[int]) -> None:
    """The config as the teacher wrote it (comments kept) where it runs these seeds, else with them."""
    raw = yaml.safe_load(source.read_text())
    target.parent.mkdir(parents=True, exist_ok=True)
    if raw.get("seeds") == seeds:
        shutil.copyfile(source, target)
    else:
        target.write_text(yaml.safe_dump({**raw, "seeds": seeds}, sort_keys=False, allow_unicode=True))


def _entry(study: Study) -> dict:
    return {"config": f"configs/{study.name}.yaml", "description": study.variants[0].config.description or "",
            "baseline": study.variants[0].config.baseline, "seeds": list(study.seeds),
            "variants": {v.id: v.config.fingerprint() for v in study.variants}}


def _readme(manifest: dict) -> str:
    """The handout's README in its language: the question, the studies (their descriptions as the
    report gives them), and what to run."""
    with i18n.language(manifest["lang"]):
        lines = [_("# Handout"), "", manifest["question"], "", _("## Studies"), ""]
        for name, study in manifest["studies"].items():
            lines.append(_("- **{name}**: {description} (variants: {variants}; baseline {baseline})").format(
                name=name, description=_(study["description"]) if study["description"] else "",
                variants=", ".join(study["variants"]), baseline=study["baseline"]))
        configs = "students/YOUR_NAME/configs/*.yaml" if manifest["students"] else "configs/*.yaml"
        lines += ["", _("## What to do"), "", _("1. Install what the teacher ran: `pip install -r requirements.txt`"),
                  (_("2. Run every study, your copy of each config (it runs your own seeds): `nnlab run {configs} --results results`")
                   if manifest["students"] else _("2. Run every study: `nnlab run {configs} --results results`")).format(configs=configs),
                  _("3. Write your answers (optional), one entry per variant, in `answers.yaml`: "
                    "`- {study: ..., variant: ..., verdict: better | worse | cannot tell, best_epoch: N, why: ...}`"),
                  _("4. Hand in one file: `nnlab submit --handout . --results results --student YOUR_NAME --answers answers.yaml "
                    "--out YOUR_NAME.zip`. It checks that nothing is missing before it writes the file."),
                  _("5. To check your runs and answers against the course's committed report first: "
                    "`nnlab grade YOUR_NAME.zip --handout . --reference PATH/TO/nnlab/results`")]
        if manifest["students"]:
            lines += ["", _("## Seeds"), ""] + [f"- {name}: {', '.join(map(str, seeds))}" for name, seeds in manifest["students"].items()]
    return "\n".join(lines) + "\n"


def read(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NnlabError(f"{path}: not a handout's manifest ({exc}); give the folder `nnlab assign` wrote") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("studies"), dict):
        raise NnlabError(f"{path}: a manifest of another format; this nnlab reads format {FORMAT}")
    return manifest


def seeds_of(manifest: dict, student: str | None, study: str) -> list[int]:
    """The seeds `student` runs of `study`: their own where the handout assigns them, else the study's."""
    assigned = manifest.get("students") or {}
    if assigned:
        if student not in assigned:
            raise NnlabError(f"'{student}' is not among the handout's students ({', '.join(assigned)}); "
                             f"give the name manifest.json lists")
        return assigned[student]
    return manifest["studies"][study]["seeds"]


def digest(folder: Path) -> str:
    """The manifest's sha256: a submission names the handout it answers."""
    return hashlib.sha256((Path(folder) / MANIFEST).read_bytes()).hexdigest()[:16]
