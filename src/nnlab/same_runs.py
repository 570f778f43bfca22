"""Variants that would train the same runs: two configs that differ only in values that are defaults
(SGD's learning_rate 0.01 is SGD) train the same run, twice, and count twice in the report's
correction for many comparisons. config.load_study refuses them, naming both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import dotted
from .errors import ConfigError
from .optimizer_specs import OPTIMIZER_DEFAULTS
from .spec_tables import INITIALIZER_ALIASES
from .specs import UNKEYED, StudyBase


def same_run_form(config: StudyBase) -> str:
    """What decides a run's numbers, written so that two configs which train the same run read the
    same: optimizer parameters at Keras' defaults left out (SGD's learning_rate: 0.01 is SGD), numbers
    as floats, a layer list of one repeated width, activation or dropout rate as that one value, an
    initializer by its long name."""
    data = config.model_dump(mode="json", exclude=set(UNKEYED))
    optimizer = data.get("optimizer")
    if isinstance(optimizer, dict) and optimizer.get("name") in OPTIMIZER_DEFAULTS:
        defaults = OPTIMIZER_DEFAULTS[optimizer["name"]]
        for key in [k for k, v in optimizer.items() if k in defaults and _number(v) == _number(defaults[k])]:
            del optimizer[key]
    model = data.get("model")
    dataset = getattr(config, "dataset", None)
    if isinstance(model, dict) and model.get("output_activation") is None and dataset is not None:
        model["output_activation"] = "sigmoid" if dataset.binary else "softmax"  # what models.output_layer builds
    if isinstance(model, dict):
        for key in ("kernel_initializer", "bias_initializer"):  # Keras' short names build the same initializer
            model[key] = INITIALIZER_ALIASES.get(model.get(key), model.get(key))
        for key in ("units", "activation", "dropout"):
            if isinstance(model.get(key), list) and len(set(map(str, model[key]))) == 1:
                model[key] = model[key][0]
    return json.dumps(data, sort_keys=True, default=str)


def _differences(a: StudyBase, b: StudyBase) -> list[str]:
    """The dotted keys whose written values differ between two configs, with both values."""
    exclude = set(UNKEYED)
    x, y = (dotted.flatten(c.model_dump(mode="json", exclude_defaults=True, exclude=exclude)) for c in (a, b))
    return [f"{key} ({x.get(key, 'not set')} vs {y.get(key, 'not set')})"
            for key in sorted(set(x) | set(y)) if x.get(key) != y.get(key)]


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def refuse_duplicate_runs(path: Path, variants: list) -> None:
    """Two variants that train the same runs (the same settings, a seed in common) would train them
    twice and count twice in the report's correction for many comparisons: refused, naming both."""
    seen: dict[str, Any] = {}  # form -> the first variant (config.Variant) with it
    for variant in variants:
        form = same_run_form(variant.config)
        earlier = seen.get(form)
        if earlier is not None and set(earlier.config.seeds) & set(variant.config.seeds):
            differences = _differences(earlier.config, variant.config)
            how = (f"they differ only in {', '.join(differences)}, which builds the same run: a value not set is Keras' default" if differences
                   else "their settings are the same")
            raise ConfigError(f"{path}: variants '{earlier.id}' and '{variant.id}' train the same runs ({how}): "
                              f"they would be trained twice and counted twice; drop one, or change what should differ")
        seen.setdefault(form, variant)
