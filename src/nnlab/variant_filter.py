"""`-k PATTERN`: the variants a command works on, by name. A pattern with a glob character (* ? [)
is a shell-style glob of the whole name (`units-*`); any other is a substring (`128` picks units-128).
Several patterns pick what any of them picks; none picks everything.

    >>> matches("units-128", ["128"]), matches("units-128", ["units-?2"]), matches("units-32", ["units-?2"])
    (True, False, True)
"""

from __future__ import annotations

import dataclasses
import fnmatch

GLOB = set("*?[")
HELP = ("Only the variants whose name matches PATTERN: a glob of the whole name where it holds * ? or [ "
        "('units-*'), else a substring ('128'). Repeat -k to take any of several.")


def matches(name: str, patterns: list[str] | tuple[str, ...] | None) -> bool:
    if not patterns:
        return True
    return any(fnmatch.fnmatchcase(name, p) if GLOB & set(p) else p in name for p in patterns)


def keep(study, patterns):
    """The study with only its matching variants (a config.Study or a report StudyResults), or None
    when none matches."""
    if not patterns:
        return study
    variants = [v for v in study.variants if matches(getattr(v, "id", None) or v.name, patterns)]
    return dataclasses.replace(study, variants=variants) if variants else None
