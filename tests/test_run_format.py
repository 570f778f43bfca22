"""A finished run's key leaves out the config values at their defaults, so a changed default would
silently change what an old key means. Changing one must come with a new run format."""

import hashlib
import json

from pydantic import BaseModel

from conftest import CONFIGS
from nnlab.config import load_study
from nnlab.kinds import KINDS
from nnlab.provenance import RUN_FORMAT

# The defaults of every kind's schema, per run format: when this test fails, bump RUN_FORMAT in
# provenance.py (finished runs will be redone) and record the new digest under the new format. A new
# key whose default does what the code did without it (model.dropout: 0.0) adds a digest to the format.
# 0263f69e12df0e26: issue 20's options, each off by default (no penalty, no batch norm, Keras' slope,
# one activation per hidden layer, protocol nnlab; validation.size required unless split: test) and
# the poly_fit kind. 5ab13c84481e636c: issue 21's kinds (backprop_example, functions_gallery, conv_shapes) and
# XOR's optimizer, loss and torch_default initializer, each at what XOR did before. 9a63d58d6fd2ce3d: record
# (gradient norms off) and model.kernel_init_range (unset). 744b07b6e9f2b26e: issue 22's references (none;
# in no run key at all, like description). 9ef53d147cfb1ccb: issue 32's lr_decay_demo precision (float32, the
# course's; it computed float64 before, so the kind's REVISION went to 2 and only its runs are redone).
# fb25d4e6be216a17 (format 3): issue 33's record.full_epochs_test (the retrain trained on to all the epochs
# and tested there too) and issue 34's threads (1, in no key at its default). a77cce0e4e361a90: issue 35's
# activation_gallery leaky_slope (0.01, the course's; the gallery drew Keras' 0.2 before, so the kind's
# REVISION went to 2 and only its runs are redone). 88e0d15b61dbe289: issue 35's polynomial_decay schedule
# (end_learning_rate unset, power 1: no other schedule reads them, so no key changes). 5c4d626204a9c5d2:
# lr_decay_demo's framework_example (the course's ExponentialDecay example, at its defaults; the kind's
# REVISION went to 3, so its runs, which did not record it, are redone and no other run is).
DEFAULTS_DIGESTS = {2: {"719c710afb431fe7", "f9dee178770aeba2", "0263f69e12df0e26", "5ab13c84481e636c", "9a63d58d6fd2ce3d",
                        "744b07b6e9f2b26e", "9ef53d147cfb1ccb"},
                    3: {"fb25d4e6be216a17", "a77cce0e4e361a90", "88e0d15b61dbe289",
                        "f371e674cad1f644",  # model.conv: [] (no convolution, as before)
                        "5c4d626204a9c5d2",
                        "876df1fd6e2ed019",  # dataset.pixels: scaled (the / 255 every MNIST run did)
                        "afae4ef6c70b37d0"}}  # conv_shapes' train_steps (its REVISION went to 3: only its run is redone)


def defaults(model: type[BaseModel]) -> dict:
    out = {}
    for name, field in model.model_fields.items():
        nested = [a for a in getattr(field.annotation, "__args__", (field.annotation,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        value = field.default.model_dump(mode="json") if isinstance(field.default, BaseModel) else field.default
        out[name] = {"default": repr(value), **{n.__name__: defaults(n) for n in nested}}
    return out


def test_a_changed_config_default_comes_with_a_new_run_format():
    digest = hashlib.sha256(json.dumps({k: defaults(m.Config) for k, m in KINDS.items()}, sort_keys=True)
                            .encode()).hexdigest()[:16]
    assert digest in DEFAULTS_DIGESTS.get(RUN_FORMAT, ()), (
        f"config defaults changed (digest {digest}): bump RUN_FORMAT and record the digest")


def test_the_shipped_studies_keep_their_fingerprints():
    """Refactoring the schema must not change a run's key: finished results stay complete."""
    # activation_gallery/default: 17248338f510b144 since issue 35 added prelu and rrelu to its list (redone in seconds).
    known = {"reuters_units/units-64": "35843960a2844f74", "imdb_layers/hidden_layers-2": "535bbcdaf15d7106",
             "mnist_activations/xent-adam_activation-gelu": "5f1a56eae6489549", "xor/relu": "baad250ce21f8e0f",
             "lr_decay_demo/decay": "3460069ba6916bec", "activation_gallery/default": "17248338f510b144", "quickstart/units-16": "9e8ca7ec44674676"}
    for key, fingerprint in known.items():
        study, variant = key.split("/")
        config = next(v.config for v in load_study(CONFIGS / f"{study}.yaml").variants if v.id == variant)
        assert config.fingerprint() == fingerprint, key
