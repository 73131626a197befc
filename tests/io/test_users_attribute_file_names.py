"""A users file's column names and the files a model keeps its attributes in.

Each attribute is saved as ``user_attr_<name>.npy``. A column ``city/town`` stopped ``train``
at the save, after every fit, with "No such file or directory", and ``zip\\code`` saved a model
no load accepts; such a name (``M/F``, ``income (k$/yr)``) is kept now, its ``/`` spelt
``%2F`` in the file's name. A name whose file would pass 255 bytes is refused when the file is
read, and so are two columns whose files a case- or normalisation-insensitive file system
(macOS') takes for one. Every other name's file is spelt as models saved before spelt it.

Oracles: the save and load of a model (``artifact``), and the folder's file names.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model
from reading_helpers import write

from recommender.errors import DataError
from recommender.io.readers import read_users
from recommender.model import artifact


def users_file(tmp_path: Path, *names: str) -> Path:
    cells = ",".join('"' + n.replace('"', '""') + '"' for n in names)
    values = ",".join("x" for _ in names)
    return write(tmp_path / "users.csv", f"user_id,region,{cells}\nu1,North,{values}\n"
                 f"u2,South,{values}\n")


def saved_and_loaded(tmp_path: Path, path: Path) -> tuple[dict[str, np.ndarray], Path]:
    table = read_users(path)
    model = synthetic_model(n_users=40, n_films=5, seed=1)
    n = len(model.users)
    for i, read in enumerate(sorted(table.attributes)):  # each its own values
        model.user_table.attributes[read] = np.asarray([f"{i}-{u}" for u in range(n)])
    artifact.save(model, tmp_path / "model")
    return {a: np.asarray(model.user_table.attributes[a]) for a in table.attributes}, \
        tmp_path / "model"


@pytest.mark.parametrize("names", [("a" * 242,), ("é" * 121,), ("a/b" * 81,),
                                   ("Café", unicodedata.normalize("NFD", "café")),
                                   ("ΟΔΟΣ", "οδοσ"), ("a/b", "a%2Fb")])
def test_names_no_file_system_keeps_apart_are_refused(tmp_path: Path,
                                                       names: tuple[str, ...]) -> None:
    path = users_file(tmp_path, *names)
    with pytest.raises(DataError) as e:
        read_users(path)
    assert e.value.path == str(path) and e.value.line == 1
    assert repr(names[-1]) in str(e.value) and "rename" in str(e.value)


@pytest.mark.parametrize("name", ["city/town", "zip\\code", "M/F", "income (k$/yr)",
                                  "city town", "=SUM(1)", 'say "x"', "a" * 241, "é" * 120,
                                  "..", "100%", "地域", "e-mail"])
def test_every_name_read_is_saved_and_loaded(tmp_path: Path, name: str) -> None:
    wrote, folder = saved_and_loaded(tmp_path, users_file(tmp_path, name))
    back = artifact.load(folder).user_table.attributes
    assert set(wrote) <= set(back)
    for a, values in wrote.items():
        assert np.asarray(back[a]).tolist() == values.tolist()  # its own values, not another's
    home = next(folder.rglob("user_segments.npy")).parent  # the version's folder
    assert {p.parent for p in folder.rglob("user_attr_*")} == {home}  # no folder of a name


def test_a_name_without_a_slash_keeps_its_files_name(tmp_path: Path) -> None:
    """Models saved before name these files so: they load as they did."""
    _, folder = saved_and_loaded(tmp_path, users_file(tmp_path, "city town", "100%", "地域"))
    names = {p.name for p in folder.rglob("user_attr_*.npy")}
    assert {"user_attr_city_town.npy", "user_attr_100%.npy", "user_attr_地域.npy"} <= names
