"""``meta.json``'s ``data.source`` names the training data in full: ``train --data data/log.csv``
recorded ``data/log.csv`` as typed, which ``/health`` gave the admin key as the training data's
file, meaningless from the server's own directory. A read key still sees its last name alone.
Oracle: the absolute path of the file the test wrote, and the README's privacy rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.model.meta import full_source
from service.app import create_app
from service.settings import Settings

ADMIN, READ = "admin-key-0123456789", "read-key-0123456789"


def test_a_relative_data_path_is_recorded_and_shown_in_full(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    rows = [f"u{u:02d},f{(u + k) % 12}" for u in range(30) for k in range(4)]
    (work / "data" / "log.csv").write_text("user_id,film_id\n" + "\n".join(rows) + "\n",
                                           encoding="utf-8")
    monkeypatch.chdir(work)
    code, _, err = run_cli(capsys, "train", "--data", "data/log.csv", "--out", "m",
                           "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    full = str(work / "data" / "log.csv")
    assert json.loads((work / "m" / "meta.json").read_text())["data"]["source"] == full
    monkeypatch.chdir(tmp_path)  # the server runs elsewhere
    settings = Settings(model_path=str(work / "m"), warm_cache=False, watch_interval=0,
                        read_keys=f"crm:{READ}", admin_key=ADMIN)
    with TestClient(create_app(settings)) as client:
        admin = client.get("/health", headers={"Authorization": f"Bearer {ADMIN}"})
        assert admin.json()["model"]["data_source"] == full
        read = client.get("/health", headers={"X-API-Key": READ})
        assert read.json()["model"]["data_source"] == "log.csv"


def test_what_names_no_local_file_is_kept_as_given(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.csv").write_text("x", encoding="utf-8")
    assert full_source("r.csv + 12 events from sqlite:///c.db") == \
        f"{tmp_path / 'r.csv'} + 12 events from sqlite:///c.db"
    for given in ("<stdin>", "s3a://bucket/log.csv", "missing.csv", "", None):
        assert full_source(given) == given
