"""Gradient regimes, read from a net's first-epoch gradient norms (record.gradient_norms): exploding,
vanishing or ordinary, so the why sentences compare how gradients shrink only between nets that are
neither."""

from __future__ import annotations

# Gradient regimes, from a net's first-epoch gradient norms (mean over seeds): exploding where even the
# smaller of its first hidden layer's and its output layer's is this large (an ordinary net's are near
# 1 or below; MNIST's ReLU net with weights in [0, 1] has 10^3 to 10^7); vanishing where the first
# layer's is this share of the output's or less (MNIST's 6-layer sigmoid net: 0.001; 0 where its units
# saturate; its ReLU net: 2). "Shrinks more / less" compares only two nets that are neither.
EXPLODING_NORM = 10.0


VANISHED_RATIO = 0.01


def gradient_regime(first: float, output: float) -> str:
    """The regime of a net's first-epoch gradient norms: the first hidden layer's and the output's.

        >>> [gradient_regime(*norms) for norms in ((7.74e3, 7.33e5), (1.21, 0.582), (0.00028, 0.247), (0.0, 0.519))]
        ['exploding', 'ordinary', 'vanishing', 'vanishing']
    """
    if min(first, output) >= EXPLODING_NORM:
        return "exploding"
    return "vanishing" if first <= VANISHED_RATIO * output else "ordinary"
