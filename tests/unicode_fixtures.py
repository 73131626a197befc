"""A small model whose user ids, cinemas and titles hold accents (an international
distributor's export, composed: Unicode form NFC), for the tests of ids typed in the other
form (NFD, decomposed: macOS file names, some exports) and of lines a byte-order mark begins.

Users ``joão.silva000``, ``müller001``, ``joão.silva002``, ... alternate; films ``0295955``
("Cafe") and ``0300001`` ("Café", another film) beside ``f002`` ... ("Film 2", ...), the
last three ``QUOTED``; user i
goes to cinema ``Cine Ünião 0{i % 2}``.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.store import open_store
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train

N_USERS = 200
N_FILMS = 24
CAFE, CAFE_ACCENT = "0295955", "0300001"  # titled "Cafe" and "Café": two films


def user_ids() -> list[str]:
    return [f"joão.silva{i:03d}" if i % 2 == 0 else f"müller{i:03d}" for i in range(N_USERS)]


def film_ids() -> list[str]:
    return [CAFE, CAFE_ACCENT] + [f"f{i:03d}" for i in range(2, N_FILMS - 3)] + QUOTED


#: the last films' ids: one our CSV writers quote ("'=cmd|x"), and "-7" beside "'-7" itself
QUOTED = ["=cmd|x", "-7", "'-7"]
#: ``save_unicode_model(twin=True)``'s other user: ``joão.silva000`` decomposed (NFD)
TWIN = unicodedata.normalize("NFD", "joão.silva000")

#: ``store_with_events``' users, composed (NFC), as the model holds them
JOAO, MULLER = "joão.silva000", "müller001"


def nfd(text: str) -> str:
    """``text`` decomposed (NFD): prints alike, differs byte for byte."""
    out = unicodedata.normalize("NFD", text)
    assert out != text
    return out


def save_unicode_model(path: Path, twin: bool = False) -> Path:
    """The model trained on a tiny synthetic log (each user watches 8 films of their group)
    and saved to ``path``; ``twin``: it also holds ``TWIN``, ``joão.silva000`` decomposed
    (NFD), a separate user beside the composed one."""
    rng = np.random.default_rng(7)
    uids, fids = user_ids() + [TWIN] * twin, film_ids()
    users: list[str] = []
    films: list[str] = []
    for u in range(len(uids)):
        own = np.flatnonzero(np.arange(N_FILMS) % 3 == u % 3)
        chosen = rng.choice(own, size=6, replace=False).tolist() + [int(rng.integers(N_FILMS))]
        for f in dict.fromkeys(chosen):
            users.append(uids[u])
            films.append(fids[f])
    titles = ["Cafe", "Café"] + [f"Film {i}" for i in range(2, N_FILMS)]
    catalog = Catalog(np.array(fids), np.array(titles),
                      np.full(N_FILMS, 2001, np.int32), np.array(["Drama"] * N_FILMS))
    table = UserTable(np.array(uids), {
        "cinema": np.array([f"Cine Ünião 0{i % 2}" for i in range(len(uids))])})
    data = Interactions.from_columns(pa.array(users), pa.array(films), catalog=catalog,
                                     user_table=table, source="unicode-test")
    model = train(data, TrainConfig(factors=4, iterations=3, segments=2, holdout=0.0,
                                    tune=False, seed=0), progress=False)
    return artifact.save(model, path)


def store_with_events(path: Path) -> Path:
    """A campaign store made at ``path`` (SQLite) holding film ``f003``'s events of ``JOAO``
    (two) and ``MULLER`` (one), composed (NFC): the store ``forget``'s Unicode-form tests
    erase from. Returns ``path``."""
    store = open_store(str(path))
    try:
        record_events(store, check_events([
            {"event_id": str(n), "user_id": u, "film_id": "f003",
             "timestamp": 1_700_000_000 + n} for n, u in enumerate([JOAO, JOAO, MULLER])]))
    finally:
        store.close()
    return path
