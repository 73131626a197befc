"""How far known films taken as new erred from the benchmark's outcomes (generated: do not edit).

Written by ``scripts/readme_results.py`` from
``benchmarks/results/cold_calibration.json`` (``benchmarks/bench_cold_calibration.py``),
as the README's figures are. Each span is the median |log ratio| error, least to most
over the benchmark's datasets, of known films taken as new, each like ``COMPARABLES``
comparables the model chose (``*_COMPARABLES``) or from its genres alone
(``*_GENRES``), against the viewers they gained in the held-out slice (``HELD_OUT_*``:
the accuracy against outcomes) or the model's own forecast of them (``OWN_*``:
agreement with the model, no accuracy).
"""

from __future__ import annotations

COMPARABLES = 3
HELD_OUT_COMPARABLES = "0.30-0.51"
HELD_OUT_GENRES = "0.78-0.82"
OWN_COMPARABLES = "0.13-0.26"
OWN_GENRES = "0.72-1.17"
