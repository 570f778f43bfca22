"""What differs between two variants' configs, read from the configs themselves (never from their
names), and said: as (key, value, baseline) rows, as a person reads a value, and as the sentence that
says whether the curves can attribute a difference to one setting."""

from __future__ import annotations

from .conclusions import listed
from .i18n import _
from .report_data import VariantStats
from .specs import PER_HIDDEN_LAYER

# What a run's recorded config holds that decides nothing it computes: names, seeds, figures from
# elsewhere, what is recorded beside the curves.
NOT_SETTINGS = ("name", "description", "seeds", "baseline", "references", "variant", "seed", "overrides", "record")


def settings_changed(config: dict, base: dict) -> list[tuple[str, object, object]]:
    """(dotted key, variant's value, baseline's value) of every setting the two run configs differ in,
    from the configs themselves. A block one side lacks (a schedule) is one setting, not its parts;
    hidden-layer settings are none where either net has no hidden layer.

        >>> settings_changed({"loss": "mse", "optimizer": {"name": "adam"}}, {"loss": "mse", "optimizer": {"name": "sgd"}})
        [('optimizer.name', 'adam', 'sgd')]
        >>> settings_changed({"model": {"hidden_layers": 0, "units": 64}}, {"model": {"hidden_layers": 2, "units": 16}})
        [('model.hidden_layers', 0, 2)]
    """
    out: list[tuple[str, object, object]] = []

    def walk(a: object, b: object, prefix: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if not prefix and key in NOT_SETTINGS:
                    continue
                walk(a.get(key), b.get(key), f"{prefix}{key}.")
        elif a != b:
            out.append((prefix.rstrip("."), a, b))

    walk(config, base, "")
    # A net without hidden layers has no units or hidden activation: a difference there is not a setting
    # of both nets (a config loaded with hidden_layers: 0 keeps their defaults).
    layerless = any(c.get("model", {}).get("hidden_layers") == 0 for c in (config, base) if isinstance(c.get("model"), dict))
    return [row for row in out if not (layerless and row[0].removeprefix("model.") in PER_HIDDEN_LAYER)]


def setting_text(value: object) -> str:
    """A setting's value as a person reads it: a convolutional stack as its layers (what size_of and
    validate name them), a block by its set fields.

        >>> setting_text([{"type": "conv2d", "filters": 32}, {"type": "max_pooling2d", "size": 2}])
        'conv2d 32 3x3 → max_pooling2d 2x2'
        >>> setting_text([]), setting_text({"name": "l2", "factor": 0.001})
        ('none', '{name: l2, factor: 0.001}')
    """
    if isinstance(value, list) and all(isinstance(v, dict) and "type" in v for v in value):
        from .specs import ModelSpec, conv_stack

        return " → ".join(name for name, *_ in conv_stack(ModelSpec(conv=value).conv)[1:]) or "none"
    return _value_text(value)


def _value_text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items() if v not in (None, False, 0.0)) + "}"
    return str(value)


def changed_sentence(variant: VariantStats, base: VariantStats, what: str | None = None, against: str | None = None,
                     attribute: bool = True) -> str:
    """What differs between the variant and the baseline, read from their configs, and whether the
    curves can attribute a change to it: not when several settings differ. `what`: what cannot be
    attributed. Defaults to "what follows"; `against`: the other side. Defaults to "the baseline".
    `attribute`: False where there is no difference to attribute (none beyond chance): only the settings."""
    what, against = what or _("what follows"), against or _("the baseline")
    changed = settings_changed(variant.runs[0].settings, base.runs[0].settings)
    if not changed:
        return _("It trains with {against}'s settings.").format(against=against)
    settings = listed([_("{key} ({value}, against {baseline})").format(
        key=key, value=_output_text(key, a, variant), baseline=_output_text(key, b, base)) for key, a, b in changed])
    if len(changed) == 1:
        return _("It differs from {against} in one setting: {listed}.").format(against=against, listed=settings)
    if not attribute:
        return _("It differs from {against} in {n} settings: {listed}.").format(against=against, n=len(changed), listed=settings)
    return _("It differs from {against} in {n} settings, {listed}, so {what} cannot be attributed to one of them.").format(
        against=against, n=len(changed), listed=settings, what=what)


def _output_text(key: str, value: object, v: VariantStats) -> str:
    """setting_text, but an output activation left unset is the one nnlab gives it (sigmoid for two
    classes, softmax for more), not "none"."""
    if key == "model.output_activation" and value is None:
        spec = v.runs[0].spec
        return "sigmoid" if spec.dataset.binary else "softmax"
    return setting_text(value)
