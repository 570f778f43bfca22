"""The classroom's commands: `nnlab assign` (a handout), `nnlab submit` (a student's runs, checked, in
one file) and `nnlab grade` (a class's submissions against the handout and the teacher's runs). Click
only, over nnlab.handout, nnlab.submission and nnlab.grading; registered on the main group in cli.py."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .cli_options import DATA_DIR

HANDOUT = click.option("--handout", "handout_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
                       help="The folder `nnlab assign` wrote.")


@click.command()
@click.argument("configs", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The handout folder to write (must not exist).")
@click.option("--students", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A text file of student names, one a line: each gets seeds of their own (with --seeds-per-student).")
@click.option("--seeds-per-student", type=click.IntRange(1, 100), help="Seeds each student runs, their own.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True, help="The questions' language.")
def assign(configs, out, students, seeds_per_student, lang):
    """Write a handout of each study CONFIG or SUITE (a path, or a shipped one's name: chapter3): the
    configs, the question, the versions to install and a manifest of the runs a complete submission holds."""
    from .handout import studies_of, write
    from .shipped import resolve

    paths = []
    for value in configs:
        path = next((p for p in (resolve(value, "configs"), resolve(value, "experiments")) if p.is_file()), None)
        if path is None:
            raise click.BadParameter(f"{value}: no such file, nor a study or suite shipped with nnlab", param_hint="CONFIGS")
        paths.append(path)
    names = [line.strip() for line in students.read_text().splitlines() if line.strip()] if students else []
    manifest = write(studies_of(paths), out, names, seeds_per_student, lang)
    runs = sum(len(s["variants"]) * len(s["seeds"]) for s in manifest["studies"].values())
    click.echo(f"wrote {out}: {len(manifest['studies'])} studies, "
               + (f"{len(names)} students with {seeds_per_student} seeds each" if names else f"{runs} runs a submission"))


@click.command()
@HANDOUT
@click.option("--results", "results_dir", default="results", show_default=True, type=click.Path(path_type=Path),
              help="The folder your runs are in.")
@click.option("--student", required=True, help="Your name, as the handout lists it where it gives seeds.")
@click.option("--answers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="answers.yaml: per variant, verdict (better | worse | cannot tell), best_epoch, why.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The .zip to write.")
def submit(handout_dir, results_dir, student, answers, out):
    """Check your runs against the handout and, if nothing is missing or damaged, write them (no model
    weights) with your answers into one file to hand in."""
    from .submission import write

    problems = write(handout_dir, results_dir, student, answers, out)
    for line in problems:
        click.echo(line)
    if problems:
        click.echo(f"not written: {len(problems)} problem{'s' * (len(problems) != 1)} above; fix them and submit again")
        sys.exit(1)
    click.echo(f"wrote {out}")


@click.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@HANDOUT
@click.option("--reference", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The teacher's results of the handout's studies (two or more seeds a variant).")
@click.option("--rerun", type=click.IntRange(0, 1000), default=0, show_default=True,
              help="Train K of each student's runs again here from their recorded config and seed.")
@click.option("--out", type=click.Path(path_type=Path), help="Also write grade.md, grade.csv and class.png here.")
@DATA_DIR
def grade(submissions, handout_dir, reference, rerun, out, data_dir):
    """Check each submission: complete, intact, the configs asked for, the protocol kept, every figure
    against the reference's seeds, no copies, the answers against the measured verdicts."""
    from . import grading

    students, bands = grading.grade(handout_dir, list(submissions), reference, rerun, data_dir)
    lines = grading.table(students)
    click.echo("\n".join(lines))
    if out:
        from .grading_outputs import write

        write(Path(out), students, lines, bands)
        click.echo(f"wrote {out}/grade.md, grade.csv and class.png")
