"""Numba kernels (private). They take validated arrays and never import sklearn."""
