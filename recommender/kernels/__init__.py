"""Low kernels: numpy-only ranking (top-k, exact settling, rounding bounds; run on Spark too).

And ``threads.off_main``: a long native call (a solver) run where a signal still acts at once.
"""
