"""The best epoch is read off the validation curve: 1-based, earliest on ties, never a NaN."""

import math

import pytest

from nnlab.errors import NnlabError
from nnlab.selection import best_epoch

HISTORY = {"val_loss": [0.9, 0.5, 0.4, 0.4, 0.6], "val_accuracy": [0.6, 0.8, 0.85, 0.9, 0.9]}


def test_lowest_validation_loss_by_default():
    assert best_epoch(HISTORY) == 3  # epochs 3 and 4 tie at 0.4: the earlier wins


def test_highest_validation_accuracy_when_asked():
    assert best_epoch(HISTORY, "val_accuracy", "max") == 4


def test_nan_epochs_never_win():
    assert best_epoch({"val_loss": [0.5, math.nan, 0.7]}) == 1


def test_an_all_nan_curve_is_reported_as_diverged():
    with pytest.raises(NnlabError, match="diverged"):
        best_epoch({"val_loss": [math.nan, math.nan]})


def test_an_unknown_metric_lists_what_the_history_has():
    with pytest.raises(NnlabError, match=r"not in the history; it has \['val_accuracy', 'val_loss'\]"):
        best_epoch(HISTORY, "val_auc")
