"""The config reference of the documentation, written from the JSON Schema (nnlab.editor_schema), so
it lists every key the schema has, with the description and default the code carries, and cannot
drift from what `nnlab validate` accepts. docs/hooks.py puts it into docs/reference/config.md when
the site is built; tests/test_docs.py checks that no key is left out or undescribed.

Example:

    >>> rows = {row.key: row for row in kind_rows("xor")}
    >>> rows["repeats"].default
    '100'
    >>> rows["model.units"].kind.startswith("integer")
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .editor_schema import study_schema, suite_schema
from .kinds import KINDS


@dataclass(frozen=True)
class Row:
    key: str  # dotted; a list's items as key[]
    kind: str  # the type and what is allowed, in words
    default: str  # "required", "—" (none), or the value as YAML would write it
    description: str


def kind_rows(kind: str, schema: dict[str, Any] | None = None) -> list[Row]:
    """Every key of a kind's study config, nested keys after their parent, in the schema's order."""
    schema = schema or study_schema()
    return _rows(schema["$defs"][kind], "", schema["$defs"])


def suite_rows() -> list[Row]:
    schema = suite_schema()
    return _rows(schema, "", schema.get("$defs", {}))


def _rows(node: dict[str, Any], prefix: str, defs: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        key = f"{prefix}{name}"
        default = ("required" if name in required else "—") if "default" not in prop else _value(prop["default"])
        rows.append(Row(key, _kind(prop, defs), default, _description(prop, defs)))
        for sub, suffix in _objects(prop, defs):
            rows += _rows(sub, f"{key}{suffix}.", defs)
    return _merged(rows)


def _objects(prop: dict[str, Any], defs: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The mappings a key holds (its own, a list's items, each alternative of a union), with the
    suffix its nested keys take: "" or "[]"."""
    out = []
    for branch in _branches(prop):
        target = _resolve(branch, defs)
        if target.get("properties"):
            out.append((target, ""))
        elif target.get("type") == "array" and "items" in target:
            for item in _branches(target["items"]):
                item = _resolve(item, defs)
                if item.get("properties"):
                    out.append((item, "[]"))
    return out


def _merged(rows: list[Row]) -> list[Row]:
    """One row per key: alternatives of a union (a conv layer or a pooling layer) that share a key
    give it once, its kinds joined where they differ."""
    merged: dict[str, Row] = {}
    for row in rows:
        if row.key in merged:
            old = merged[row.key]
            kind = old.kind if row.kind in old.kind else f"{old.kind}; or {row.kind}"
            description = old.description if row.description in old.description else f"{old.description}; {row.description}"
            merged[row.key] = Row(row.key, kind, old.default, description)
        else:
            merged[row.key] = row
    return list(merged.values())


def _branches(node: dict[str, Any]) -> list[dict[str, Any]]:
    for word in ("anyOf", "oneOf"):
        if word in node:
            return [b for branch in node[word] for b in _branches(branch)]
    return [node]


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = {**defs[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _description(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    text = prop.get("description") or _resolve(prop, defs).get("description", "")
    return " ".join(text.split())


def _kind(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    branches = [_resolve(branch, defs) for branch in _branches(prop)]
    kinds = [_one(branch, defs) for branch in branches if branch.get("type") != "null"]
    # "relu | tanh | ... or list of relu | tanh | ...": the list said once
    kinds = [k.replace(f"list of {kinds[0]}", "a list of these") if i else k for i, k in enumerate(kinds)]
    optional = any(branch.get("type") == "null" for branch in branches)
    text = ", or ".join(dict.fromkeys(kinds))
    return f"{text} (or null)" if optional else text


def _one(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "const" in node:
        return f"`{_value(node['const'])}`"
    if "enum" in node:
        return " \\| ".join(f"`{_value(v)}`" for v in node["enum"])
    kind = node.get("type")
    if node.get("properties") or kind == "object":
        return "mapping"
    if kind == "array":
        items = node.get("items")
        lo, hi = node.get("minItems"), node.get("maxItems")
        count = (f", {lo} items" if lo == hi else f", {lo}–{hi} items") if lo is not None and hi is not None else (
            f", at least {lo}" if lo else "")
        return f"list of {_kind(items, defs) if items else 'values'}{count}"
    words = {"integer": "integer", "number": "number", "string": "text", "boolean": "true \\| false"}
    return words.get(kind, kind or "any") + _bounds(node)


def _bounds(node: dict[str, Any]) -> str:
    """ 1–64, or > 3 and ≤ 1,000,000: the lower end first."""
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        return f" {_number(low)}–{_number(high)}"
    parts = [f"≥ {_number(low)}" if low is not None else "",
             f"> {_number(node['exclusiveMinimum'])}" if "exclusiveMinimum" in node else "",
             f"≤ {_number(high)}" if high is not None else "",
             f"< {_number(node['exclusiveMaximum'])}" if "exclusiveMaximum" in node else ""]
    parts = [part for part in parts if part]
    return f" {', '.join(parts)}" if parts else ""


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _value(value: Any) -> str:
    if isinstance(value, dict) and value:
        return "see below"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def table(rows: list[Row]) -> str:
    lines = ["| key | type and allowed values | default | what it does |", "|---|---|---|---|"]
    for row in rows:
        description = row.description.replace("|", "\\|")
        default = row.default if row.default in ("required", "—") else f"`{row.default}`"
        lines.append(f"| `{row.key}` | {row.kind} | {default} | {description} |")
    return "\n".join(lines)


def markdown() -> str:
    """The reference: each kind's keys, then a suite manifest's."""
    schema = study_schema()
    parts = []
    for kind in KINDS:
        title = "Training studies (`kind: train`, the default)" if kind == "train" else f"`kind: {kind}`"
        parts += [f"## {title}", "", table(kind_rows(kind, schema)), ""]
    parts += ["## Suite manifests (`experiments/*.yaml`)", "", table(suite_rows()), ""]
    return "\n".join(parts)
