"""The course's study configs and suites, shipped inside the package, so an installed nnlab (pip or
pipx, no clone) can run them by name and copy them out to edit.

    configs/       one YAML per study (the repository's configs/ is a link here)
    experiments/   the suite manifests behind the report (experiments/ likewise)
    schema/        their JSON Schemas (`nnlab schema`), which each file's first line names for editors

    resolve(given, "configs")   a path as given if it exists, else the shipped file of that name
    copy_out(folder)            `nnlab init`: both folders into `folder`, refusing to overwrite
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from ..errors import NnlabError

HERE = Path(__file__).resolve().parent
FOLDERS = ("configs", "experiments", "schema")
_FILES = {"configs": "*.yaml", "experiments": "*.yaml", "schema": "*.schema.json"}


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
    """The shipped configs, suites and schemas into `folder`/configs, /experiments and /schema (the
    suites' ../configs/ paths and the configs' ../schema/ lines then hold there too). All or nothing: every target is checked first (none may
    exist, each folder must be creatable and writable), and a write that fails all the same (a full
    disk) takes back what was written, so a second try never meets files of the first."""
    targets = [(source, Path(folder) / name / source.name) for name in FOLDERS for source in sorted((HERE / name).glob(_FILES[name]))]
    present = [target for _, target in targets if target.exists() or target.is_symlink()]
    if present:
        raise NnlabError(f"{len(present)} of the files nnlab init would write exist already, e.g. {present[0]}; "
                         "nothing was written (init never overwrites: give another folder, or move them aside)")
    for parent in dict.fromkeys(target.parent for _, target in targets):
        _check_folder(parent)
    made: list[Path] = []  # folders and files this call created, in order
    try:
        for source, target in targets:
            for missing in reversed([target.parent, *target.parent.parents]):
                if not missing.exists():
                    missing.mkdir()
                    made.append(missing)
            made.append(target)  # before the copy: a copy that fails halfway leaves a file too
            shutil.copyfile(source, target)
    except OSError as exc:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        raise NnlabError(f"writing {exc.filename or folder}: {exc.strerror or exc}; nothing was kept (init writes all "
                         "the files or none)") from None
    return [target for _, target in targets]


def _check_folder(folder: Path) -> None:
    """`folder` exists or can be made, and takes files: else NnlabError, before anything is written."""
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        where = "" if probe == folder.absolute() else f" cannot be made: {probe}"
        raise NnlabError(f"{folder}{where} is a file, not a folder; nothing was written (give another folder, or "
                         "move the file aside)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise NnlabError(f"{folder} cannot be written: {probe} denies writing; nothing was written")
