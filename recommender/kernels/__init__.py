"""Numpy-only ranking kernels: top-k, exact settling and rounding bounds (run on Spark too)."""
