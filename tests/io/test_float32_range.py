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
    with pytest.raises(DataError, match=rf"line 3: {column} 1e\+300 is not a finite number of "
                                        r"at most 3\.4e\+38"):
        readers.load(path)


def test_the_largest_float32_is_kept(tmp_path: Path) -> None:
    top = float(np.finfo(np.float32).max)
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,weight\nu1,f1,{top!r}\nu2,f1,1e-30\n", encoding="utf-8")
    data = readers.load(path)
    assert np.isfinite(data.weight).all() and float(data.weight.max()) == pytest.approx(top)
