"""The best epoch is read off the validation curve: 1-based, earliest on ties, never a NaN."""

import math

import pytest

from nnlab.errors import NnlabError
from nnlab.selection import Rule

HISTORY = {"val_loss": [0.9, 0.5, 0.4, 0.4, 0.6], "val_accuracy": [0.6, 0.8, 0.85, 0.9, 0.9]}


def test_lowest_validation_loss_by_default():
    assert Rule().best_epoch(HISTORY) == 3  # epochs 3 and 4 tie at 0.4: the earlier wins


def test_highest_validation_accuracy_when_asked():
    assert Rule("val_accuracy", "max").best_epoch(HISTORY) == 4


def test_nan_epochs_never_win():
    assert Rule().best_epoch({"val_loss": [0.5, math.nan, 0.7]}) == 1


def test_an_all_nan_curve_is_reported_as_diverged():
    with pytest.raises(NnlabError, match="diverged"):
        Rule().best_epoch({"val_loss": [math.nan, math.nan]})


def test_an_unknown_metric_lists_what_the_history_has():
    with pytest.raises(NnlabError, match=r"not in the history; it has \['val_accuracy', 'val_loss'\]"):
        Rule("val_auc").best_epoch(HISTORY)


def test_the_rules_examples_hold():
    import doctest

    from nnlab import selection

    assert doctest.testmod(selection).failed == 0


def test_one_rule_gives_the_best_epoch_the_running_best_the_choice_and_optunas_direction():
    rule = Rule("val_accuracy", "max")
    assert rule.running_best([0.5, math.nan, 0.7, 0.6]) == [0.5, 0.5, 0.7, 0.7]
    assert rule.best(["a", "b", "c"], key={"a": 0.7, "b": 0.9, "c": 0.9}.get) == "b"  # ties: the first
    assert rule.direction == "maximize" and Rule.for_direction("val_loss", "minimize") == Rule()
    assert Rule.of({"metric": "val_accuracy", "mode": "max"}) == rule and Rule.of(None) == Rule()
    assert rule.is_best_so_far({"val_accuracy": [0.5, 0.7]}) and not rule.is_best_so_far({"val_accuracy": [0.7, 0.7]})
