"""Errors nnlab reports to the user as a clear message, without a traceback."""

from __future__ import annotations

import datetime as dt
import errno
import os
import platform
import tempfile
import traceback
from pathlib import Path

from ._version import __version__


class NnlabError(Exception):
    """A problem the user can fix; the CLI prints it and exits non-zero."""


class ConfigError(NnlabError):
    """A study config that cannot be run."""


class DataError(NnlabError):
    """A dataset that cannot be found or read."""


class MissingExtra(NnlabError):
    """An optional extra (`pip install -e '.[ray]'`) that a command needs and that is not installed;
    the message says how to install it."""


class Fatal(NnlabError):
    """A fault that stops the whole command at once, not just one run: every later run would meet it
    too. The runs finished so far stay as they are."""


class StorageError(Fatal):
    """The results folder cannot take a write: the disk is full, permission was lost, the folder
    vanished. Raised instead of the OSError, saying which file (`message`) and what to do (`advice`)."""

    def __init__(self, message: str, advice: str = ""):
        super().__init__(message, advice)  # both in args: the error crosses process boundaries pickled
        self.message, self.advice = message, advice

    def __str__(self) -> str:
        return f"{self.message}; {self.advice}" if self.advice else self.message


# What an OSError's errno means for the user, and what to do about it. Any other errno is not a
# fault of the storage the user could fix (a bug, say) and is left to surface as it is.
STORAGE_FAULTS = {
    errno.ENOSPC: ("the disk is full", "free some space"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or raise the quota"),
    errno.EACCES: ("permission denied", "give yourself write permission on the results folder"),
    errno.EPERM: ("operation not permitted", "give yourself write permission on the results folder"),
    errno.EROFS: ("the filesystem is read-only", "use a writable --results folder"),
    errno.ENOENT: ("its folder vanished (removed or moved while nnlab ran)", "put the results folder back, or use another --results"),
    errno.ENOTDIR: ("a folder on its path was replaced by a file", "put the results folder back, or use another --results"),
    errno.EIO: ("an input/output error (a failing disk or a lost network mount)", "check the disk or the mount"),
}


def storage_error(exc: OSError, path, doing: str = "writing") -> StorageError | None:
    """The StorageError an OSError met at `path` stands for, or None when its errno is no storage fault."""
    fault = STORAGE_FAULTS.get(exc.errno)
    if fault is None:
        return None
    what, advice = fault
    return StorageError(f"{doing} {path}: {what}", advice)


def write_error_log(exc: BaseException, heading: str) -> Path | None:
    """The traceback under `heading` (the command line, what was being done) and the versions, in a
    file of its own under the temporary folder (the results folder may be the very thing that
    failed); None if even that cannot be written."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(tempfile.gettempdir())
    text = (f"{heading}\nnnlab {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
            f"cwd: {os.getcwd()}\n\n" + "".join(traceback.format_exception(exc)))
    for attempt in range(100):  # two failures in one second get two files
        path = folder / f"nnlab-error-{stamp}-{os.getpid()}{f'-{attempt}' if attempt else ''}.log"
        try:
            with open(path, "x") as file:
                file.write(text)
            return path
        except FileExistsError:
            continue
        except OSError:
            return None
    return None
