"""The set-up of the tests of pseudonymised events (``test_events_pseudonymized``,
``test_erased_pseudonyms``): the pseudonym key and its file, the service-test model served
under it, a stored plan shown raw and pseudonymised, a partner's responses keyed by its
pseudonyms, and the oracles: pseudonyms computed here with ``hmac`` (not by the engine's
function) and the store's events read back."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

from recommender.campaigns.events import read_events
from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings

KEY = "events-pseudonymized-key-0123456789"
TS = 1_700_000_000


def oracle(user_id: str, key: str = KEY) -> str:
    """The pseudonym of ``user_id``, computed here (not by the engine's function)."""
    return "p-" + hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def planned(capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
            key_file: Path) -> tuple[str, list[dict[str, str]], list[dict[str, str]]]:
    """A stored plan: its store, its raw rows and the same rows pseudonymised."""
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00000,12\n00002,9\n", encoding="utf-8")
    store = str(tmp_path / "planned.db")
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                         tmp_path / "plan.csv", "--store", store)
    assert code == 0, err
    plan_id = out.rsplit(" rows of plan ", 1)[1].split()[0]
    code, raw, err = run(capsys, "campaign", "show", plan_id, "--store", store, "--csv")
    assert code == 0, err
    code, hidden, err = run(capsys, "campaign", "show", plan_id, "--store", store, "--csv",
                            "--pseudonymize", "--pseudonym-key-file", key_file)
    assert code == 0, err
    return store, rows(raw), rows(hidden)


def responses(hidden: list[dict[str, str]]) -> list[dict[str, Any]]:
    """A response for every other row of the pseudonymised plan, keyed as the partner saw it."""
    return [{"event_id": f"t-{i}", "user_id": r["user_id"], "film_id": r["film_id"],
             "timestamp": TS + i} for i, r in enumerate(hidden) if i % 2 == 0]


def write_csv(path: Path, events: list[dict[str, Any]], event_id: bool = True) -> Path:
    fields = ["user_id", "film_id", "timestamp"] + (["event_id"] if event_id else [])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(events)
    return path


def stored(url: str) -> list[tuple[str, str, int]]:
    store = open_store(url)
    try:
        cols = read_events(store)
        return sorted(zip(cols.user_id.tolist(), cols.film_id.tolist(),
                          cols.timestamp.tolist(), strict=True))
    finally:
        store.close()


def pseudonymised_fixtures(room: str, **settings: Any) -> tuple[Any, Any, Any]:
    """A test module's ``model_dir`` (module scope: the service-test model, in a temporary
    directory named ``room``), ``key_file`` (``KEY`` in a file) and ``client`` (the model
    served under ``KEY`` with a store of its own, and the ``Settings`` in ``settings``)
    fixtures, assigned as ``model_dir, key_file, client = pseudonymised_fixtures(...)``."""

    @pytest.fixture(scope="module", name="model_dir")
    def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return save_model(tmp_path_factory.mktemp(room) / "model")

    @pytest.fixture(name="key_file")
    def key_file(tmp_path: Path) -> Path:
        path = tmp_path / "key"
        path.write_text(KEY + "\n", encoding="utf-8")
        return path

    @pytest.fixture(name="client")
    def client(model_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
        served = Settings(model_path=str(model_dir), store=str(tmp_path / "served.db"),
                          pseudonym_key=KEY, warm_cache=False, **settings)
        with TestClient(create_app(served)) as c:
            yield c

    return model_dir, key_file, client
