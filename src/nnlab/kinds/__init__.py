"""Study kinds. Each module holds one kind whole, the way a Keras callback owns its hooks:

    NAME                                  the `kind:` a config names ("train" when it names none)
    Config                                its schema (pydantic; importing a kind imports no TensorFlow)
    dataset(config, data_dir)             what it trains on, loaded before any run (None: nothing)
    preflight(config, data)               raise NnlabError for what would fail later, before any run
    run(study, variant_id, config, seed, data, progress) -> results.RunOutput
    check(folder, metrics, files, trial)  what a finished run must show on disk: [(file, problem)]
                                          (nnlab verify; a run that fails it is redone)
    headline(metrics)                     the console's line for a finished run
    show(config, metrics)                 `nnlab show`'s (label, text) lines for a run's settings (config
                                          given) or for what it measured (metrics given)
    summarize(study_name, study_dir, rows, first_histories)   the study's tables after its runs
    section(root, study_results)          its part of the report, as Markdown lines

Adding a kind is one new module and one line below.
"""

from __future__ import annotations

from types import ModuleType

from . import activation_gallery, lr_decay_demo, train, xor

KINDS: dict[str, ModuleType] = {kind.NAME: kind for kind in (train, xor, lr_decay_demo, activation_gallery)}


def of(config) -> ModuleType:
    """The kind module of a validated config."""
    return KINDS[config.kind]
