"""A users file's column whose name cannot name the model's file for it is refused when the
file is read, naming the file and the column: each attribute is saved as
``user_attr_<name>.npy``, and a column ``city/town`` stopped ``train`` at the save, after every
fit, with "No such file or directory (.../.tmp-x52alc31/user_attr_city/town.npy)", and a
column ``zip\\code`` saved a model no load accepts ("'files' lists 'user_attr_zip\\\\code.npy',
not a file of the folder").

Oracle: the file a model save writes for each attribute (``artifact.save``), tried on the
names that are read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model
from reading_helpers import write

from recommender.errors import DataError
from recommender.io.readers import read_users
from recommender.model import artifact


@pytest.mark.parametrize("name", ["city/town", "zip\\code", "a" * 242, "é" * 121])
def test_a_name_no_file_can_carry_is_refused_at_reading(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "users.csv", f"user_id,region,{name}\nu1,North,x\nu2,South,y\n")
    with pytest.raises(DataError) as e:
        read_users(path)
    assert e.value.path == str(path) and e.value.line == 1
    assert repr(name) in str(e.value) and "rename" in str(e.value)


@pytest.mark.parametrize("name", ["city town", "=SUM(1)", 'say "x"', "a" * 241, "é" * 120,
                                  ".."])
def test_every_name_read_is_saved(tmp_path: Path, name: str) -> None:
    cell = '"' + name.replace('"', '""') + '"'
    path = write(tmp_path / "users.csv", f"user_id,region,{cell}\nu1,North,x\nu2,South,y\n")
    table = read_users(path)
    model = synthetic_model(n_users=40, n_films=5, seed=1)
    for read in table.attributes:
        model.user_table.attributes[read] = np.asarray(["x"] * len(model.users))
    artifact.save(model, tmp_path / "model")  # the oracle: the save writes each one's file
    assert set(artifact.load(tmp_path / "model").user_table.attributes) >= set(
        table.attributes)
