"""Comparisons over seeds: a difference beyond seed noise is named so, one within it is not."""

import pytest

from nnlab.stats import adjust, compare, correction, detectable_difference, holm, mean_interval, mean_sd, power


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


def test_holm_matches_a_hand_computed_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept non-decreasing: 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # never above 1


def test_a_few_comparisons_get_holm_many_get_benjamini_hochberg_and_untested_ones_stay_out():
    from scipy import stats as scipy_stats

    few = adjust([0.01, None, 0.04, 0.03])  # three comparisons (one could not be tested): Holm over 3
    assert correction(3) == "Holm" and few[1] is None
    assert [few[0], few[2], few[3]] == pytest.approx([0.03, 0.06, 0.06])
    many = [0.001, 0.01, 0.02, 0.03, 0.04, 0.2, 0.5]
    assert correction(len(many)) == "Benjamini-Hochberg"
    assert adjust(many) == pytest.approx(list(scipy_stats.false_discovery_control(many, method="bh")))
    assert adjust([None, None]) == [None, None]


def test_the_power_figure_matches_the_textbook_cases():
    # Cohen's classic: two groups of 64, d = 0.5, alpha 0.05 two-sided: power 0.80 (G*Power: 0.8015);
    # paired, 10 pairs, d_z = 1: 0.8031.
    assert power(0.5, 1.0, 64) == pytest.approx(0.8015, abs=5e-4)
    assert power(1.0, 1.0, 10, paired=True) == pytest.approx(0.8031, abs=5e-4)
    assert detectable_difference(1.0, 64) == pytest.approx(0.499, abs=2e-3)
    mdd = detectable_difference(0.004, 3)  # what 3 seeds at a 0.4-point spread can see
    assert power(mdd, 0.004, 3) == pytest.approx(0.80, abs=1e-6) and 0.01 < mdd < 0.02
    assert detectable_difference(0.004, 1) is None


def test_a_paired_comparison_is_scipys_paired_t_test_on_the_seeds():
    from scipy import stats as scipy_stats

    a, b = [0.80, 0.82, 0.79], [0.79, 0.80, 0.785]
    paired = compare(a, b, paired=True)
    assert paired.paired and paired.p_value == pytest.approx(scipy_stats.ttest_rel(a, b).pvalue)
    assert compare(a, b).p_value == pytest.approx(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_the_mean_interval_is_a_t_interval():
    low, high = mean_interval([0.79, 0.80, 0.81])
    assert (low + high) / 2 == pytest.approx(0.80) and high - low == pytest.approx(2 * 4.3027 * 0.01 / 3 ** 0.5, rel=1e-4)
    assert mean_interval([0.8]) is None
