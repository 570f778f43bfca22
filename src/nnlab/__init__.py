"""nnlab: reproducible experiment suites for neural-network coursework."""

__version__ = "0.1.0"
