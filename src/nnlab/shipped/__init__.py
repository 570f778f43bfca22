"""The course's study configs and suites, shipped inside the package, so an installed nnlab (pip or
pipx, no clone) can run them by name and copy them out to edit.

    configs/       one YAML per study (the repository's configs/ is a link here)
    experiments/   the suite manifests behind the report (experiments/ likewise)

    resolve(given, "configs")   a path as given if it exists, else the shipped file of that name
    copy_out(folder)            `nnlab init`: both folders into `folder`, refusing to overwrite
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import NnlabError

HERE = Path(__file__).resolve().parent
FOLDERS = ("configs", "experiments")


def names(folder: str) -> list[str]:
    return sorted(p.stem for p in (HERE / folder).glob("*.yaml"))


def resolve(given: str | Path, folder: str) -> Path:
    """`given` itself where it is a file; otherwise the shipped `folder` file it names (reuters_units,
    reuters_units.yaml or configs/reuters_units.yaml alike); otherwise `given`, for the loader to refuse."""
    path = Path(given)
    if path.is_file():
        return path
    shipped = HERE / folder / f"{path.name.removesuffix('.yaml')}.yaml"
    return shipped if shipped.is_file() else path


def copy_out(folder: Path) -> list[Path]:
    """The shipped configs and suites into `folder`/configs and `folder`/experiments (the suites'
    ../configs/ paths then hold there too). Nothing is written if any of the files is there already."""
    targets = [(source, Path(folder) / name / source.name) for name in FOLDERS for source in sorted((HERE / name).glob("*.yaml"))]
    present = [target for _, target in targets if target.exists()]
    if present:
        raise NnlabError(f"{len(present)} of the files nnlab init would write exist already, e.g. {present[0]}; "
                         "nothing was written (init never overwrites: give another folder, or move them aside)")
    for source, target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return [target for _, target in targets]
