"""YAML as the person who wrote it meant it. PyYAML follows YAML 1.1, which resolves some plain words
and numbers in ways a student does not expect, and silently keeps the last of two equal keys. A config
is read with this loader, which refuses each such case with its line instead of guessing:

- a key written twice in one mapping (`epochs: 20` ... `epochs: 40`): PyYAML keeps the last;
- `yes`, `no`, `on`, `off` (any case): YAML 1.1 booleans, though `optimizer: {nesterov: on}` may have
  been meant, `name: no` was not; only `true` and `false` are read as booleans;
- a number with a leading zero (`seeds: [007]` is 7 in YAML 1.1 but `010` is octal 8) and one with
  colons (`1:30` is sexagesimal 90);
- a date (`2026-12-04` becomes a date object, not the text);
- `.nan` and `.inf`: no setting of a study is infinite or not a number (a NaN rate trains NaN).

And it reads `1e-3` and `1.5e3` as numbers, as YAML 1.2 and every other reader do (PyYAML needs `1.0e-3`
and `1.5e+3`, and reads the others as text, which a schema then calls "not a number").

    >>> load("lr: 1e-3\\nseeds: [0, 1]\\n")
    {'lr': 0.001, 'seeds': [0, 1]}
    >>> load("epochs: 20\\nepochs: 40\\n")
    Traceback (most recent call last):
    ...
    nnlab.yaml_strict.Misread: line 2: key 'epochs' is written twice in one mapping (first at line 1); PyYAML would keep the last silently: keep one
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml


class Misread(yaml.YAMLError):
    """A value PyYAML would read otherwise than its writer meant, with the line it is on."""


# Exponents PyYAML reads as text: no dot (1e-3) or no sign (1.5e3).
_FLOAT_WITHOUT_DOT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_BOOL_WORDS = ("true", "false")


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader with the refusals listed in the module's docstring."""


# YAML 1.2's floats without a dot (1e-3), tried before PyYAML's own resolvers for the same first characters.
for first in "-+.0123456789":
    StrictLoader.yaml_implicit_resolvers[first] = [
        ("tag:yaml.org,2002:float", _FLOAT_WITHOUT_DOT), *StrictLoader.yaml_implicit_resolvers.get(first, [])]


def _line(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}"


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    # Only keys written in this mapping: one merged in (<<: *base) may be overridden here, as YAML means.
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            earlier = seen.get(key)
        except TypeError:  # an unhashable key: construct_mapping says so below
            continue
        if earlier is not None:
            raise Misread(f"{_line(key_node)}: key '{key}' is written twice in one mapping (first at {_line(earlier)}); "
                          f"PyYAML would keep the last silently: keep one")
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


def _bool(loader: StrictLoader, node: yaml.ScalarNode) -> bool:
    if node.value.lower() not in _BOOL_WORDS:
        raise Misread(f"{_line(node)}: '{node.value}' is read by YAML 1.1 as the boolean "
                      f"{loader.construct_yaml_bool(node)}; write true or false, or quote it ('{node.value}') for the word")
    return loader.construct_yaml_bool(node)


def _int(loader: StrictLoader, node: yaml.ScalarNode) -> int:
    text = node.value.replace("_", "").lstrip("+-")
    if ":" in text:
        raise Misread(f"{_line(node)}: '{node.value}' is read by YAML 1.1 as the base-60 number "
                      f"{loader.construct_yaml_int(node)}; quote it if it is text, or write the number")
    if len(text) > 1 and text[0] == "0" and text[1].isdigit():
        raise Misread(f"{_line(node)}: '{node.value}' has a leading zero, which YAML 1.1 reads as octal "
                      f"({loader.construct_yaml_int(node)}); write the number without it")
    return loader.construct_yaml_int(node)


def _float(loader: StrictLoader, node: yaml.ScalarNode) -> float:
    value = float(node.value.replace("_", "")) if _FLOAT_WITHOUT_DOT.match(node.value) else loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise Misread(f"{_line(node)}: '{node.value}' is not a finite number; no setting of a study is infinite or NaN")
    if ":" in node.value:
        raise Misread(f"{_line(node)}: '{node.value}' is read by YAML 1.1 as the base-60 number {value}; "
                      "quote it if it is text, or write the number")
    return value


def _timestamp(loader: StrictLoader, node: yaml.ScalarNode) -> Any:
    raise Misread(f"{_line(node)}: '{node.value}' is read by YAML as a date; quote it ('{node.value}') if it is text")


StrictLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:bool", _bool)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _float)
StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load(text: str) -> Any:
    """The YAML document in `text`, refusing what a person misreads (Misread, a yaml.YAMLError, names the line)."""
    return yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass: builds plain values only
