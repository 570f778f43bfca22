"""Comparisons over seeds: a difference beyond seed noise is named so, one within it is not."""

from nnlab.stats import compare, mean_sd


def test_the_comparison_interval_separates_real_differences_from_noise():
    clear = compare([0.90, 0.91, 0.905], [0.80, 0.81, 0.805])
    assert clear.distinguishable and clear.low > 0
    noisy = compare([0.80, 0.82, 0.78], [0.81, 0.79, 0.80])
    assert noisy.distinguishable is False and noisy.low < 0 < noisy.high
    assert compare([0.8], [0.7]).low is None


def test_mean_and_sample_sd_and_their_absence():
    assert mean_sd([]) == (None, None)
    assert mean_sd([0.5]) == (0.5, None)
    mean, sd = mean_sd([1.0, 2.0, 3.0])
    assert mean == 2.0 and sd == 1.0
