"""The JSON Schema of a study config and of a suite manifest, made from the same pydantic models
`nnlab validate` checks with, so that an editor completes and checks keys as a student types
(`nnlab schema`; a config's first line `# yaml-language-server: $schema=...` points the YAML
language server of VS Code, Neovim or Helix at it) and the docs' config reference lists every key.

What a JSON Schema can say, it says: the keys each kind allows, their types, ranges and choices,
`grid:` and `variants:` in their shape. Rules that tie fields together (a loss the output layer can
give, a conv stack that fits its image, num_words only for text) stay `nnlab validate`'s: it names
them with their reason, where an editor could only underline.

Example:

    >>> schema = study_schema()
    >>> schema["properties"]["kind"]["enum"] == list(KINDS)
    True
    >>> "dataset" in schema["$defs"]["train"]["properties"]
    True
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic.json_schema import models_json_schema

from .kinds import KINDS
from .search.spec import SearchSpec
from .spec_tables import NAME_PATTERN
from .suites import SuiteConfig

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_DOTTED_KEY = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"
_VARIANT_NAME = NAME_PATTERN

# The keys a study file has besides its kind's config (config._STUDY_KEYS): they make the variants.
_GRID = {
    "type": "object", "minProperties": 1,
    "description": "every combination of these values, one variant each: a dotted key (model.units, "
                   "optimizer.learning_rate) to a non-empty list of values",
    "propertyNames": {"pattern": _DOTTED_KEY},
    "additionalProperties": {"type": "array", "minItems": 1},
}
_VARIANTS = {
    "type": "array", "minItems": 1,
    "description": "named variants for studies that are not a grid: each a name and its overrides as "
                   "dotted keys ({name: mse, loss: mse}); with grid:, each is crossed with every cell",
    "items": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "pattern": _VARIANT_NAME,
                                "description": "the variant's id: letters, digits, '_', '.', '-'"}},
        "propertyNames": {"pattern": _DOTTED_KEY},
    },
}


def study_schema() -> dict[str, Any]:
    """A study config: one branch per kind (`kind:` picks it; without one, train), each the kind's
    pydantic schema with `grid:`, `variants:` and, for training studies, `search:` beside it."""
    models = [(KINDS[name].Config, "validation") for name in KINDS] + [(SearchSpec, "validation")]
    refs, schema = models_json_schema(models, ref_template="#/$defs/{model}")
    defs = schema.get("$defs", {})
    for name in KINDS:
        ref = refs[(KINDS[name].Config, "validation")]["$ref"].split("/")[-1]
        branch = copy.deepcopy(defs.pop(ref))
        branch["title"] = f"a {name} study"
        branch["properties"].update(grid=_GRID, variants=_VARIANTS)
        if name == "train":
            branch["properties"]["search"] = refs[(SearchSpec, "validation")] | {
                "description": "search the space for the settings with the best validation figure, instead of "
                               "a grid or variants"}
            branch["not"] = {"required": ["search"], "anyOf": [{"required": ["grid"]}, {"required": ["variants"]}]}
        defs[name] = branch
    # `kind:` picks the branch; a config without one is a training study (the train kind's default).
    branches = [{"if": {"required": ["kind"], "properties": {"kind": {"const": name}}},
                 "then": {"$ref": f"#/$defs/{name}"}} for name in KINDS]
    branches.append({"if": {"not": {"required": ["kind"]}}, "then": {"$ref": "#/$defs/train"}})
    return {
        "$schema": DRAFT,
        "title": "nnlab study config",
        "description": "One study: a kind's config, and the variants it runs (grid:, variants: or search:). "
                       "`nnlab validate FILE` checks the rules that tie keys together.",
        "type": "object",
        "required": ["name"],
        "properties": {"kind": {"enum": list(KINDS), "default": "train",
                                "description": "what the study does: train (the default) or one of the course's "
                                               "small problems"}},
        "allOf": branches,
        "$defs": defs,
    }


def suite_schema() -> dict[str, Any]:
    """A suite manifest (experiments/*.yaml)."""
    schema = SuiteConfig.model_json_schema(ref_template="#/$defs/{model}")
    return {"$schema": DRAFT, "title": "nnlab suite manifest", **schema}


SCHEMAS = {"study": study_schema, "suite": suite_schema}
