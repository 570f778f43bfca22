"""Pydantic's validation errors as one line per key: which key, what is wrong, what is allowed."""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

# Pydantic names the union member an error came from ("literal[...]", "list[...]", "int"): not a key.
_TYPE_TAG = re.compile(r"^([a-z-]+\[.*\]|int|float|str|bool|list|dict|none|[A-Z]\w*)$")
SHOWN_CHARS = 200  # of a refused value: enough to recognise it; a list of 100,000 seeds is not printed whole


def error_lines(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One message per key: a union (int or list, say) reports each member's complaint; keep the first."""
    seen: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not _TYPE_TAG.match(str(p)))
        seen.setdefault(key, _describe(err, root))
    return list(seen.values())


def _describe(err: dict[str, Any], root: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"] if not _TYPE_TAG.match(str(p))]
    key = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(root, loc[:-1])
        return f"{key}: unknown key{did_you_mean(loc[-1], allowed)}; allowed here: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or err["type"] == "value_error" else f" (got {_shortened(repr(got))})"
    return f"{key}: {msg}{shown}"


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text):,} characters)"


def _fields_at(model: type[BaseModel], loc: list[str]) -> list[str]:
    for part in loc:
        if part.isdigit():  # an index into a list of models (references.0): the list's model already
            continue
        ann = model.model_fields[part].annotation
        model = next((a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return list(model.model_fields)


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
