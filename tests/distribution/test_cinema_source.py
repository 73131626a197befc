"""Where a model's cinema table comes from: training copies the data folder's cinemas.csv into
the model, so the caps hold from any working directory and after a publish; a model without a
table says so (``screens.warning``, and on stderr) instead of silently not capping."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.distribution.demand import NO_CINEMAS
from recommender.distribution.places import cinemas_for
from recommender.io import demo
from recommender.model import artifact, layout


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("cinema-source")
    demo.generate(root / "data", n_users=300, n_films=60, n_interactions=4000)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # the data path is relative, as in `recommender train --data build/...`
        assert main(["train", "--data", "data", "--out", "model", "--factors", "8",
                     "--iterations", "3", "--segments", "3", "--no-tune"]) == 0
    (root / "elsewhere").mkdir()
    data = root / "data"
    capacity = sum(int(line.split(",")[3]) for line in
                   (data / demo.CINEMAS_FILE).read_text().splitlines()[1:] if line)
    return {"root": root, "model": root / "model", "data": data, "capacity": capacity,
            "film": demo.read_manifest(data)["example_film_id"]}


def distribution(capsys: pytest.CaptureFixture[str], model: Path, film: str, screens: int
                 ) -> tuple[int, dict[str, Any] | None, str]:
    code = main(["distribution", str(model), film, "--by", "cinema", "--screens", str(screens),
                 "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else None, err


def test_training_copies_the_cinemas_into_the_model(trained: dict[str, Any]) -> None:
    version = layout.resolve(trained["model"])
    copy = version / demo.CINEMAS_FILE
    assert copy.read_bytes() == (trained["data"] / demo.CINEMAS_FILE).read_bytes()
    recorded = json.loads((version / "meta.json").read_text())["files"]
    assert recorded[demo.CINEMAS_FILE]["bytes"] == copy.stat().st_size
    # a publish (what the service's reload does) carries it to the served folder
    served = artifact.publish(trained["model"], trained["root"] / "served")
    assert (layout.resolve(served) / demo.CINEMAS_FILE).read_bytes() == copy.read_bytes()


def test_caps_hold_from_another_working_directory(trained: dict[str, Any],
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(trained["root"] / "elsewhere")  # "data" does not resolve from here
    code, _, err = distribution(capsys, trained["model"], trained["film"],
                                trained["capacity"] + 1)
    assert code == 2 and f"more than the {trained['capacity']} screens" in err
    code, body, err = distribution(capsys, trained["model"], trained["film"], 40)
    assert code == 0 and body is not None and "warning" not in err
    assert body["screens"]["capped_by"].startswith(demo.CINEMAS_FILE + ": ")
    assert body["screens"]["capacity"] == trained["capacity"]
    assert body["screens"]["warning"] is None


def test_older_models_find_the_data_folder_or_say_they_cannot(
        trained: dict[str, Any], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a model saved without the copy (as before), trained with --events: data.source is
    # "data + N events from ...", relative to the folder training ran in
    model = artifact.load(trained["model"])
    model.meta["data"] = {**model.meta["data"],
                          "source": "data + 97 events from sqlite:///campaigns.db"}
    old = artifact.save(model, trained["root"] / "old-model")
    assert not (layout.resolve(old) / demo.CINEMAS_FILE).exists()
    monkeypatch.chdir(trained["root"])
    table = cinemas_for(artifact.load(old), old)
    assert table is not None and int(table.screens.sum()) == trained["capacity"]
    code, _, err = distribution(capsys, old, trained["film"], trained["capacity"] + 1)
    assert code == 2 and "more than the" in err
    monkeypatch.chdir(trained["root"] / "elsewhere")
    code, body, err = distribution(capsys, old, trained["film"], trained["capacity"] + 1)
    assert code == 0 and body is not None
    assert body["screens"]["capped_by"] is None and body["screens"]["capacity"] is None
    assert body["screens"]["warning"] == NO_CINEMAS
    assert err.strip().splitlines() == [  # then the model that answered (--json's source)
        f"warning: {NO_CINEMAS}", f"note: answer from model {artifact.load(old).version} as "
        "trained"]
    assert sum(p["screens"] for p in body["places"]) == trained["capacity"] + 1


def test_an_unreadable_server_table_is_503_without_its_path(
        trained: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bad RECOMMENDER_CINEMAS is the server's fault: it was a 422 naming the server's path
    and line to the caller."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    bad = tmp_path / "badcin.csv"
    bad.write_text("cinema_id,city,region,screens,seats\nc1,A,B,notanumber,10\n")
    settings = Settings(model_path=str(trained["model"]), cinemas=str(bad))
    with TestClient(create_app(settings)) as c:
        for r in (c.get(f"/films/{trained['film']}/distribution",
                        params={"by": "cinema", "screens": 5}),
                  c.post("/distribution/cold-start", json={
                      "comparable_film_ids": [trained["film"]], "by": "cinema",
                      "screens": 5})):
            assert r.status_code == 503, r.text
            assert str(tmp_path) not in r.text and "server log" in r.json()["detail"]
        # the table caps regions too, so by=region with screens reads it; without screens no
        assert c.get(f"/films/{trained['film']}/distribution",
                     params={"by": "region", "screens": 5}).status_code == 503
        assert c.get(f"/films/{trained['film']}/distribution",
                     params={"by": "region"}).status_code == 200
    assert "badcin.csv, line 2" in caplog.text
    # a folder where the table should be was a 500
    settings = Settings(model_path=str(trained["model"]), cinemas=str(tmp_path))
    with TestClient(create_app(settings)) as c:
        r = c.get(f"/films/{trained['film']}/distribution", params={"by": "cinema",
                                                                    "screens": 5})
        assert r.status_code == 503 and str(tmp_path) not in r.text


def test_the_cli_reads_the_servers_cinema_table_as_the_service_does(
        trained: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With RECOMMENDER_CINEMAS set, ``--json`` prints the service's body: the CLI used the
    model's table while the service used the variable's (other caps, another slate)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    lines = (trained["data"] / demo.CINEMAS_FILE).read_text().splitlines()
    doubled = [lines[0]] + [",".join(c[:3] + [str(2 * int(c[3]))] + c[4:])
                            for c in (line.split(",") for line in lines[1:] if line)]
    table = tmp_path / "wider.csv"
    table.write_text("\n".join(doubled) + "\n")
    monkeypatch.setenv("RECOMMENDER_CINEMAS", str(table))
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    screens = trained["capacity"] + 1  # more than the model's table holds, within the variable's
    code, body, err = distribution(capsys, trained["model"], trained["film"], screens)
    assert code == 0, err
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id\n{trained['film']}\n")
    assert main(["distribution", str(trained["model"]), "--slate", str(slate), "--json"]) == 0
    cli_slate = json.loads(capsys.readouterr().out)
    with TestClient(create_app(Settings(model_path=str(trained["model"])))) as c:
        r = c.get(f"/films/{trained['film']}/distribution",
                  params={"by": "cinema", "screens": screens})
        assert r.status_code == 200, r.text
        assert body == r.json()
        r = c.post("/distribution/slate", json={"films": [{"film_id": trained["film"]}]})
        assert r.status_code == 200, r.text
        assert cli_slate == r.json()
    assert cli_slate["screens"] == 2 * trained["capacity"]


def test_a_served_version_keeps_its_own_table_after_a_newer_one_is_saved(
        trained: dict[str, Any], tmp_path: Path) -> None:
    """A worker serves the version it loaded until it reloads (at its next look, or never
    when the new version is refused): its caps are that version's cinemas.csv. They were
    the table of whatever ``MODEL/current`` pointed at by the time of the request."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    served = artifact.publish(trained["model"], tmp_path / "served")
    loaded = artifact.load(served)
    doubled = tmp_path / demo.CINEMAS_FILE
    lines = (trained["data"] / demo.CINEMAS_FILE).read_text().splitlines()
    doubled.write_text("\n".join([lines[0]] + [
        ",".join(f[:3] + [str(2 * int(f[3]))] + f[4:]) for f in
        (line.split(",") for line in lines[1:] if line)]) + "\n")
    settings = Settings(model_path=str(served), watch_interval=0, warm_cache=False,
                        store=str(tmp_path / "s.db"))
    with TestClient(create_app(settings)) as c:
        artifact.save(loaded, served, extra={demo.CINEMAS_FILE: doubled})  # a newer version
        body = c.get(f"/films/{trained['film']}/distribution",
                     params={"by": "cinema", "screens": 40}).json()
    assert body["model_version"] == loaded.version
    assert body["screens"]["capacity"] == trained["capacity"]  # not 2x: the newer table
    table = cinemas_for(loaded, served)
    assert table is not None and int(table.screens.sum()) == trained["capacity"]


def test_a_place_with_blanks_around_it_is_capped_as_without(
        trained: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """``by`` with blanks around it names the place (``check_place`` ignores them), so the
    cinema table caps it as it caps ``by=cinema``: " cinema" with more screens than the
    table holds was answered uncapped, saying no cinema table was found."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    film, over = trained["film"], trained["capacity"] + 1
    with TestClient(create_app(Settings(model_path=str(trained["model"])))) as c:
        for by in ("cinema", " cinema", "City ", " region "):
            r = c.get(f"/films/{film}/distribution", params={"by": by, "screens": over})
            assert r.status_code == 422 and "more than the" in r.json()["detail"], (by, r.text)
            r = c.post("/distribution/cold-start", json={
                "comparable_film_ids": [film], "by": by, "screens": over})
            assert r.status_code == 422 and "more than the" in r.json()["detail"], (by, r.text)
            body = c.get(f"/films/{film}/distribution", params={"by": by, "screens": 5}).json()
            assert body["screens"]["capacity"] is not None and body["screens"]["warning"] is None
    for by in (" cinema", "city "):
        code = main(["distribution", str(trained["model"]), film, "--by", by, "--screens",
                     str(over)])
        _, err = capsys.readouterr()
        assert code == 2 and "more than the" in err, err
    # --cinemas caps a place given with blanks too (it was refused as not cinema, city or region)
    table = str(trained["data"] / demo.CINEMAS_FILE)
    code = main(["distribution", str(trained["model"]), film, "--by", " cinema", "--screens",
                 "5", "--cinemas", table, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["screens"]["capacity"] == trained["capacity"]


def test_a_slate_says_what_it_solves_on_a_terminal(trained: dict[str, Any], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``distribution --slate`` is one solve that took 25 s on 400 films x 1,667 cinemas
    without a word on the terminal: it says what it solves there first (stderr, not when
    stderr is a file or a pipe, and never on stdout: ``--json`` stays the body alone)."""
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id\n{trained['film']}\n")
    argv = ["distribution", str(trained["model"]), "--slate", str(slate), "--json"]
    assert main(argv) == 0
    assert "sharing" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "screens of" in err and "cinemas among 1 film ..." in err, err
    assert json.loads(out)["allocation"]


def test_the_servers_cinema_table_unread_is_said(trained: dict[str, Any],
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``RECOMMENDER_CINEMAS`` set where the breakdown does not read it (no ``--screens``, or
    ``--by`` a place no table caps) was ignored without a word, where ``--cinemas`` in its
    place is refused: a ``note:`` on stderr says so, and ``--json``'s body is the service's
    (the same with the variable set or not). Read, or given way to ``--cinemas``, no note."""
    film, model = trained["film"], str(trained["model"])
    table = str(trained["data"] / demo.CINEMAS_FILE)
    argv = ["distribution", model, film, "--by", "cinema", "--json"]
    by_city = ["distribution", model, film, "--by", "city", "--json"]
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    assert main(by_city) == 0
    body = capsys.readouterr().out
    monkeypatch.setenv("RECOMMENDER_CINEMAS", table)
    assert main(by_city) == 0
    out, err = capsys.readouterr()
    assert out == body
    assert ("note: RECOMMENDER_CINEMAS is not read without --screens: it caps --screens by "
            "the screens of each cinema, city or region") in err, err
    assert main(argv) == 0  # by cinema it is read for each cinema's city: no note
    assert "RECOMMENDER_CINEMAS" not in capsys.readouterr().err
    from recommender.cli.distribution import _env_cinemas_unread

    _env_cinemas_unread(" zip_zone", 5, None)  # the demo's users have no zip_zone
    assert "note: RECOMMENDER_CINEMAS is not read with --by zip_zone: " in capsys.readouterr().err
    for more in (["--screens", "5"], ["--screens", "5", "--cinemas", table]):
        assert main(argv + more) == 0
        assert "RECOMMENDER_CINEMAS" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["no-such-film", "--by", "region"],
                                  ["{film}", "--by", "nowhere"],
                                  ["--like", "no-such-film", "--by", "city"]])
def test_a_refused_breakdown_says_its_error_alone(trained: dict[str, Any], argv: list[str],
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The note that ``RECOMMENDER_CINEMAS`` is not read came before the error of a command
    that answered nothing (an unknown film, a place the users lack): a note for a variable
    that has nothing to do with the refusal. Oracle: the same command's stderr without the
    variable set."""
    argv = ["distribution", str(trained["model"]),
            *(a.format(film=trained["film"]) for a in argv)]
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    assert main(argv) == 2
    alone = capsys.readouterr().err
    monkeypatch.setenv("RECOMMENDER_CINEMAS", str(trained["data"] / demo.CINEMAS_FILE))
    assert main(argv) == 2
    assert capsys.readouterr().err == alone
    assert "error: " in alone and "RECOMMENDER_CINEMAS" not in alone, alone
