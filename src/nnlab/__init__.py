"""nnlab: reproducible experiment suites for neural-network coursework.

`nnlab.run_studies`, `nnlab.run_suite`, `nnlab.load_configs` and `nnlab.write_report` are nnlab.api's;
`nnlab.run` and `nnlab.load` are nnlab.notebook's (one study, its tables as DataFrames, its figures
and report section shown in a notebook). See those modules' docstrings for the calls. They load when
first used, so `import nnlab.config` (what `nnlab validate` imports) does not pull in the runner,
TensorFlow's callers or matplotlib."""

from ._version import __version__ as __version__

_API = ("run_studies", "run_suite", "load_configs", "write_report", "Execution", "RunOptions", "StudyOutcomes")
_NOTEBOOK = ("run", "load", "StudyView")


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _NOTEBOOK:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")
