"""Errors nnlab reports to the user as a clear message, without a traceback."""


class NnlabError(Exception):
    """A problem the user can fix; the CLI prints it and exits non-zero."""


class ConfigError(NnlabError):
    """A study config that cannot be run."""


class DataError(NnlabError):
    """A dataset that cannot be found or read."""
