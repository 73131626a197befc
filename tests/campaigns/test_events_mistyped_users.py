"""An event whose user_id is a known user's id but for surrounding spaces or leading zeros is
named, over HTTP and by ``events import --model``: a model that folds users in took it as a
new user without a word, so the response was no conversion of the plan row it meant (the
report lost it) and that user stayed in the film's audience and a next wave's candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.cli import main
from recommender.model import artifact
from recommender.model.foldin import mistyped_users
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("mistyped-users") / "model")


def test_the_library_names_ids_a_space_or_zeros_away(model_dir: Path) -> None:
    model = artifact.load(model_dir)
    given = ["u2", " u2", "u3 ", " u2", "brand-new", "u0"]
    assert mistyped_users(model, given) == [(" u2", "u2"), ("u3 ", "u3")]
    assert mistyped_users(model, given, most=1) == [(" u2", "u2")]
    assert mistyped_users(model, []) == []


def test_post_events_names_them(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    events = [{"event_id": f"m{i}", "user_id": u, "film_id": "00003",
               "timestamp": 1_700_000_000 + i}
              for i, u in enumerate(["u2", " u4", "someone-new", " u4"])]
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": events})
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 4
    assert r.json()["mistyped_user_ids"] == [{"user_id": " u4", "did_you_mean": "u4"}]


def test_events_import_warns_of_them(model_dir: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "responses.csv"
    f.write_text("event_id,user_id,film_id,timestamp\n"
                 "a,u2,00003,1700000000\nb, u4 ,00003,1700000001\n")
    store = str(tmp_path / "store.db")
    assert main(["events", "import", "--store", store, str(f), "--model", str(model_dir)]) == 0
    err = capsys.readouterr().err
    assert "' u4 ' (did you mean 'u4'?)" in err, err
    assert main(["events", "import", "--store", store, str(f)]) == 0  # no model: no check
    assert "did you mean" not in capsys.readouterr().err


def test_a_model_that_folds_no_user_in_names_them_once(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under BPR or LMF (no user step) a mistyped id was named twice, as mistyped ("a new
    user", which such a model never makes) and among the users it does not serve."""
    from recommender.model import foldin

    monkeypatch.setattr(foldin, "can_fold_in", lambda model: False)
    f = tmp_path / "responses.csv"
    f.write_text("event_id,user_id,film_id,timestamp\n"
                 "a,u2,00003,1700000000\nb, u4 ,00003,1700000001\nc,newbie,00003,1700000002\n")
    store = str(tmp_path / "store.db")
    assert main(["events", "import", "--store", store, str(f), "--model", str(model_dir)]) == 0
    err = capsys.readouterr().err
    assert err.count("' u4 '") == 1 and "' u4 ' (did you mean 'u4'?)" in err, err
    assert "(a user this model does not serve, not a response of the user meant)" in err
    assert "note: 1 user id of" in err and "('newbie')" in err, err


def test_post_events_names_them_once_under_a_model_that_folds_no_user_in(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under BPR or LMF POST /events named ' u4' in unknown_user_ids and in mistyped_user_ids,
    where events import --model names it once; a user id new to the model is still unknown."""
    from recommender.model import foldin

    monkeypatch.setattr(foldin, "can_fold_in", lambda model: False)
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    events = [{"event_id": f"m{i}", "user_id": u, "film_id": "00003",
               "timestamp": 1_700_000_000 + i}
              for i, u in enumerate(["u2", " u4", "someone-new", " u4", "00u5"])]
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": events})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mistyped_user_ids"] == [{"user_id": " u4", "did_you_mean": "u4"},
                                         {"user_id": "00u5", "did_you_mean": "u5"}], body
    assert body["unknown_user_ids"] == ["someone-new"], body


def test_a_batch_does_not_hash_every_user_of_the_model_again(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each POST /events asked ``to_index`` whether its users are known, and pyarrow's
    ``index_in`` builds a hash of its whole value set on every call: a set of every user of
    the model, per batch (a second for 100 events beside 2M users; before the check, a model
    that folds users in looked no user up). Oracle: the value sets ``index_in`` is handed."""
    import pyarrow.compute as pc

    model = artifact.load(model_dir)
    sizes: list[int] = []
    real = pc.index_in

    def counted(values, value_set, *args, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(len(value_set))
        return real(values, value_set, *args, **kwargs)

    monkeypatch.setattr(pc, "index_in", counted)
    for batch in (["u2", "u3"], ["u4", " u4", "new"], ["u5"]):
        mistyped_users(model, batch)
    assert model.n_users not in sizes
    assert mistyped_users(model, ["u4", " u4", "new"]) == [(" u4", "u4")]
