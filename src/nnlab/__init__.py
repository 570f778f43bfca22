"""nnlab: reproducible experiment suites for neural-network coursework.

`nnlab.run_studies`, `nnlab.run_suite`, `nnlab.load` and `nnlab.write_report` are nnlab.api's (see its
docstring for the calls). They load when first used, so `import nnlab.config` (what `nnlab validate`
imports) does not pull in the runner, TensorFlow's callers or matplotlib."""

from ._version import __version__ as __version__

_API = ("run_studies", "run_suite", "load", "write_report", "Execution", "StudyOutcomes")


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")
