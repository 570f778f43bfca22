"""Pydantic's validation errors as one line per key: which key, what is wrong, what is allowed."""

from __future__ import annotations

import difflib
import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

# Pydantic names the union member an error came from ("literal[...]", "list[...]", "int"): not a key.
_TYPE_TAG = re.compile(r"^([a-z-]+\[.*\]|int|float|str|bool|list|dict|none|[A-Z]\w*)$")
SHOWN_CHARS = 200  # of a refused value: enough to recognise it; a list of 100,000 seeds is not printed whole


def error_lines(exc: ValidationError, root: type[BaseModel]) -> list[str]:
    """One message per key: a union (int or list, say) reports each member's complaint; keep the first."""
    seen: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(_walk(root, err["loc"])[0])
        seen.setdefault(key, _describe(err, root))
    return list(seen.values())


def _describe(err: dict[str, Any], root: type[BaseModel]) -> str:
    loc, model = _walk(root, err["loc"][:-1])
    loc = loc + [str(err["loc"][-1])] if err["loc"] and not _TYPE_TAG.match(str(err["loc"][-1])) else loc
    key = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = list(model.model_fields) if model is not None else []
        return f"{key}: unknown key{did_you_mean(loc[-1], allowed)}; allowed here: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict) or err["type"] == "value_error" else f" (got {_shortened(repr(got))})"
    return f"{key}: {msg}{shown}"


def _shortened(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text):,} characters)"


def _walk(root: type[BaseModel], loc) -> tuple[list[str], type[BaseModel] | None]:
    """The key a location names, as a config writes it, and the model found there: pydantic's union
    tags ("int", "list[...]") and a discriminated union's tag (model.conv.0.conv2d.filters: the layer's
    `type`) are not keys, and a list index (references.0) keeps the list's model."""
    key: list[str] = []
    models: list[type[BaseModel]] = [root]
    for part in map(str, loc):
        if _TYPE_TAG.match(part):
            continue
        if part.isdigit():
            key.append(part)
            continue
        tagged = [m for m in models if part in _type_tags(m)]
        if tagged and len(models) > 1:  # which member of a union of models the error is in
            models = tagged
            continue
        key.append(part)
        field = next((m.model_fields[part] for m in models if part in m.model_fields), None)
        models = _models_in(field.annotation) if field is not None else []
    return key, (models[0] if len(models) == 1 else None)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation holds, through lists, unions and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _type_tags(model: type[BaseModel]) -> tuple[str, ...]:
    """The values of a model's `type` literal: how a discriminated union names its members."""
    field = model.model_fields.get("type")
    return tuple(map(str, get_args(field.annotation))) if field is not None else ()


def did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
