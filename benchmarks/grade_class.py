"""How long `nnlab grade` takes for a class: N submissions of the chapter-3 homework (the six homework
studies, 3 seeds each: 48 runs a student) graded against the teacher's runs. Issue 37's goal: 60
submissions in under a minute without --rerun.

The submissions are built from the teacher's own run folders (each student a different 3 of their
seeds where the reference has enough, else the same seeds again): grading reads every file of every
run, checks its checksums and run key, compares every figure, and compares every pair of students for
copies, so the time is what a real class costs; what it flags does not matter here.

    .venv/bin/python benchmarks/grade_class.py --reference RESULTS [--students 60]

RESULTS must hold the homework studies' run folders (what `make all-experiments` writes: the committed
report keeps only their summaries).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from nnlab import grading, handout
from nnlab.shipped import resolve

HOMEWORK = ("reuters_units", "reuters_layers", "imdb_layers", "imdb_units", "imdb_loss", "imdb_activation")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--students", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        names = [f"student-{k:02d}" for k in range(args.students)]
        (scratch / "class.txt").write_text("\n".join(names))
        folder = scratch / "handout"
        studies = handout.studies_of([resolve(name, "configs") for name in HOMEWORK])
        manifest = handout.write(studies, folder, names, 3)
        started = time.perf_counter()
        files = [_submission(scratch, folder, manifest, name, args.reference) for name in names]
        built = time.perf_counter() - started
        started = time.perf_counter()
        students, _bands = grading.grade(folder, files, args.reference)
        seconds = time.perf_counter() - started
    runs = sum(s.present for s in students)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"{cpu}: graded {len(students)} submissions ({runs} runs) in {seconds:.1f} s "
          f"({seconds / max(1, len(students)) * 1000:.0f} ms a student); building them took {built:.1f} s")
    return 0 if seconds < 60 else 1


def _submission(scratch: Path, folder: Path, manifest: dict, name: str, reference: Path) -> Path:
    """A student's zip as `nnlab submit` writes it, from the reference's run folders of their seeds
    (seeds the reference lacks are taken modulo its 10)."""
    out = scratch / f"{name}.zip"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("submission.json", f'{{"student": "{name}", "handout": "{handout.digest(folder)}"}}')
        for study, entry in manifest["studies"].items():
            for variant in entry["variants"]:
                for seed in manifest["students"][name]:
                    run = reference / study / variant / f"seed-{seed % 10}"
                    for file in run.iterdir():
                        if file.is_file():
                            z.write(file, f"runs/{study}/{variant}/seed-{seed}/{file.name}")
    return out


if __name__ == "__main__":
    sys.exit(main())
