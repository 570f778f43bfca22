"""Dotted keys (`model.units`, `optimizer.learning_rate`): how grid:, variants:, search.space and the
report name a nested setting. One set of helpers for the config loader, the duplicate-run check, the
search section and `nnlab reproduce`.

    >>> config = {"model": {"units": 64}, "epochs": 20}
    >>> get(config, "model.units"), get(config, "model.dropout"), get(config, "epochs.x")
    (64, None, None)
    >>> put(config, "optimizer.learning_rate", 0.01); config["optimizer"]
    {'learning_rate': 0.01}
    >>> flatten({"model": {"units": 64, "conv": {}}, "epochs": 20})
    {'model.units': 64, 'model.conv': {}, 'epochs': 20}
"""

from __future__ import annotations

from typing import Any


def get(node: Any, key: str) -> Any:
    """The value at `key` in nested mappings or pydantic models (attributes); None where absent."""
    for part in key.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif node is not None and part in getattr(type(node), "model_fields", {}):
            node = getattr(node, part)
        else:
            return None
    return node


def put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set `key` in nested mappings, making the mappings on the way; ValueError naming the part that
    holds a value where a mapping must be (`model: 3` and then `model.units`)."""
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"cannot set '{key}': '{part}' is not a mapping")
        node = child
    node[parts[-1]] = value


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted key: value} of every leaf; an empty mapping is a leaf of its own."""
    if not isinstance(node, dict) or not node:
        return {prefix: node} if prefix else ({} if isinstance(node, dict) else {"": node})
    out: dict[str, Any] = {}
    for key, child in node.items():
        out.update(flatten(child, f"{prefix}.{key}" if prefix else key))
    return out
