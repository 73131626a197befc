"""A weight or rating beyond float32's range is refused with its line: it was read as a
float64, stored as a float32 ``inf`` (with numpy's overflow warning), and the default `train`
then failed in tuning's ``log`` trial blaming --learning-rate and --regularization."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io import readers


@pytest.mark.parametrize("column", ["weight", "rating"])
def test_a_value_past_float32_is_refused_naming_its_line(tmp_path: Path, column: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,{column}\nu1,f1,2\nu2,f1,1e300\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"line 3: {column} '1e300' is out of range: past "
                                        r"3\.4e\+38"):
        readers.load(path)


def test_the_largest_float32_is_kept(tmp_path: Path) -> None:
    top = float(np.finfo(np.float32).max)
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,weight\nu1,f1,{top!r}\nu2,f1,1e-30\n", encoding="utf-8")
    data = readers.load(path)
    assert np.isfinite(data.weight).all() and float(data.weight.max()) == pytest.approx(top)


def test_weights_whose_sum_passes_float32_are_refused(tmp_path: Path) -> None:
    """Two events of one (user, film) are merged into one interaction whose weight is their
    sum: two weights of 3e38, each held, summed to float32 ``inf`` (numpy's overflow warning)
    and the tuned train then failed telling the user to train with --weighting log, the
    weighting it had chosen. Oracle: 3e38 + 3e38 = 6e38 > 3.4e38; 1e38 + 1e38 is held."""
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id,weight\nu1,f1,1\nu2,f1,3e38\nu2,f1,3e38\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"user 'u2' and film 'f1' \(merged into one "
                                        r"interaction\) have weights summing to 6e\+38"):
        readers.load(path)
    path.write_text("user_id,film_id,weight\nu1,f1,1\nu2,f1,1e38\nu2,f1,1e38\n",
                    encoding="utf-8")
    assert float(readers.load(path).weight.max()) == pytest.approx(2e38, rel=1e-6)
