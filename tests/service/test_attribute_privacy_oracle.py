"""The privacy oracle of attribute values: on a model whose users file has an email column (one
user each), a region of 3 users and an occupation of 1, no answer that lists or hints at
attribute values (``GET /users/attributes``, ``recommender attributes``, every portrait scope of
a film's summary with viewers ranked out and in, the schema's filter pattern, and a filter's
refusal of a near miss of every value: another case, a letter more or less, ``(no value)``)
names a value held by fewer than the minimum cell size of users, for every attribute. A value
typed exactly may be echoed (whoever typed it knows it): no probe types a held value so.

Oracle: each value's users counted by pandas over the users.csv trained on; an answer names a
value when it holds it quoted (``'v'`` in a message, ``"v"`` in JSON) or, in the CLI's table,
as a cell of its own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import make_demo, run_cli
from service_fixtures import trained_model_and_client

from recommender.model.model import Model

MIN_CELL = 10
TIERS = (None, "core", "extended", "broad", "core,extended", "extended,broad", "all")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = make_demo(tmp_path_factory.mktemp("oracle") / "data", n_users=300, n_films=60,
                     n_interactions=4_000)
    users = pd.read_csv(data / "users.csv", dtype=str, keep_default_na=False)
    users["email"] = [f"fan.{i}@mail.example" for i in range(len(users))]
    users.loc[users.index[:3], "region"] = "Islands"
    users.loc[users.index[3], "occupation"] = "astronaut"
    users.to_csv(data / "users.csv", index=False)
    return data


model_dir, model, client = trained_model_and_client("oracle", min_cell=MIN_CELL)


def _counts(folder: Path, model: Model) -> dict[str, pd.Series]:
    """Each attribute's values and their users among the model's users (pandas), the derived
    ones (age_band) read from the model's own column names: every attribute the model has."""
    users = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False)
    users = users.set_index("user_id").reindex(model.users.ids.tolist()).fillna("")
    out = {}
    for name in model.user_table.attributes:
        column = users[name] if name in users else pd.Series(
            model.user_table.attributes[name], index=users.index)
        out[name] = column[column != ""].value_counts()
    return out


def _named(text: str, values: set[str]) -> set[str]:
    """The values ``text`` names quoted: ``'v'`` (a message) or ``"v"`` (JSON)."""
    return {v for v in values if f"'{v}'" in text or json.dumps(v) in text}


def _probes(value: str) -> list[str]:
    """Near misses of ``value``: another case, a letter more, a letter less."""
    return [value.upper(), value.swapcase(), value + "x", value[:-1], f" {value.title()} "]


def test_no_answer_names_a_value_of_fewer_than_the_minimum_cell(
        folder: Path, model: Model, model_dir: Path, client: TestClient,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(MIN_CELL))
    counts = _counts(folder, model)
    rare = {n: set(c[c < MIN_CELL].index) for n, c in counts.items()}
    held = {n: set(c.index) for n, c in counts.items()}
    every_rare = set().union(*rare.values())
    # the fixture's own: every email, the region of 3 and the occupation of 1
    assert len(rare["email"]) == model.n_users
    assert {"Islands"} <= rare["region"] and {"astronaut"} <= rare["occupation"]
    answers = [client.get("/users/attributes").text, client.get("/openapi.json").text]
    code, out, err = run_cli(capsys, "attributes", model_dir, "--json")
    assert code == 0, err
    answers.append(out)
    film = str(model.films.ids[0])
    for tier in TIERS:
        for seen in ("true", "false"):
            params = {"exclude_seen": seen} | ({} if tier is None else {"tier": tier})
            r = client.get(f"/films/{film}/audience/summary", params=params)
            assert r.status_code == 200, r.text
            answers.append(r.text)
    for text in answers:
        assert not _named(text, every_rare), _named(text, every_rare)
    # the schema's filter pattern takes no rare value (it lists, character by character)
    patterns = {json.loads(p) for p in re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")',
                                                   json.dumps(client.get("/openapi.json").json()))}
    for pattern in patterns:
        if re.fullmatch(pattern, "region=North") and not re.fullmatch(pattern, "region=Nowhere"):
            for name, values in rare.items():
                assert not any(re.fullmatch(pattern, f"{name}={v}") for v in values), name
    # a filter's refusal of a near miss of every value (the first 20 of each attribute, and
    # every rare one but the emails' first 20)
    for name, values in held.items():
        first = sorted(values)[:20]
        probed = first + ([] if name == "email" else sorted(rare[name] - set(first)))
        for value in [*probed, "(no value)"]:
            for typed in _probes(value) if value != "(no value)" else [value]:
                if typed in held[name] or typed.strip() in held[name]:
                    continue  # typed exactly: may be echoed
                r = client.get(f"/films/{film}/audience", params={
                    "k": 1, "filter": f"{name}={typed}"})
                if r.status_code == 200:
                    continue
                assert r.status_code == 422, r.text
                said = r.json()["detail"]
                assert not _named(said, every_rare - {typed}), (name, typed, said)
    # the CLI's table: no rare value as a cell of its own (but numbers: a rare age of 22 and
    # a count of 22 users read alike; --json above says them apart)
    code, out, err = run_cli(capsys, "attributes", model_dir)
    assert code == 0, err
    cells = set(re.split(r"[\s,]+", out))
    words = {v for v in every_rare if not v.isdigit()}
    assert not cells & words, cells & words
