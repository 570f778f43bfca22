"""`nnlab verify RESULTS`: check that what is on disk is what the runs recorded, as `git fsck` does
for a repository. Every run folder under RESULTS is checked (nnlab.integrity, over nnlab.records); each problem is one
line, and the command exits non-zero if there is any. What is harmless is counted, not flagged:
unfinished runs (the next `nnlab run` does them), temporary files a killed write left, damaged files
already moved aside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import integrity, records, results


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    finished: int = 0
    failed: int = 0
    unfinished: int = 0
    temporary: int = 0
    kept_aside: list[Path] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return self.finished + self.failed + self.unfinished


def run_folders(root: Path) -> list[Path]:
    """results/<study>/<variant>/seed-<n>/ and a search's results/<study>/trials/<trial>/seed-<n>/."""
    return sorted(p for pattern in ("*/*/seed-*", f"*/{results.TRIALS}/*/seed-*") for p in Path(root).glob(pattern)
                  if p.is_dir() and not (pattern.startswith("*/*/") and p.parent.name == results.TRIALS))


def check_results(root: Path) -> Verdict:
    verdict = Verdict()
    for folder in run_folders(root):
        verdict.temporary += len(list(folder.glob(results.TEMPORARY)))
        verdict.kept_aside += sorted(p for p in folder.iterdir() if records.DAMAGED in p.name)
        if (folder / results.METRICS).is_file():
            _, problems = integrity.check_run(folder)
            verdict.problems += [p.line(folder) for p in problems]
            verdict.finished += 1
        elif (folder / results.FAILURE).is_file():
            _, problems = records.readable_failure(folder)
            verdict.problems += [p.line(folder) for p in problems]
            verdict.failed += 1
        else:
            verdict.unfinished += 1
    for study_file in sorted(Path(root).glob("*/*.json")):  # the study's tables and a search's record
        try:
            json.loads(study_file.read_bytes())
        except (OSError, ValueError) as exc:
            verdict.problems.append(f"{study_file}: does not parse ({type(exc).__name__}); the next "
                                    "`nnlab run` of its study writes it again")
    return verdict


def report_lines(root: Path, verdict: Verdict) -> list[str]:
    out = list(verdict.problems)
    notes = [f"{verdict.finished} finished"]  # the problems below say which of them do not check out
    if verdict.failed:
        notes.append(f"{verdict.failed} failed (recorded in failure.json)")
    if verdict.unfinished:
        notes.append(f"{verdict.unfinished} unfinished (the next `nnlab run` does them)")
    out.append(f"{root}: {verdict.runs} run folders: " + ", ".join(notes) + "; "
               + (f"{len(verdict.problems)} problem(s)" if verdict.problems else "no problems"))
    if verdict.temporary:
        out.append(f"  {verdict.temporary} temporary file(s) left by interrupted writes (harmless; a run removes "
                   "its own when it next runs)")
    if verdict.kept_aside:
        out.append(f"  {len(verdict.kept_aside)} damaged file(s) kept aside, e.g. {verdict.kept_aside[0]} "
                   "(yours to inspect or delete)")
    return out
