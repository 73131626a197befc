"""A repeatable option given a comma-separated list: `--with region,gender` is read as the
columns listed (as repeated), and `--like`/`--genre`, which take values separated by spaces,
refuse a comma-separated list of known films or genres naming that form: `cold-start --like
00004,00008 --genre G0` skipped '00004,00008' as one unknown film and ranked without both.

Oracle: the service-test model (films 00004 and 00008, genres G0 to G3) and the answers the
same options give written the accepted way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from service_fixtures import GENRES, save_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("commas") / "model")


@pytest.mark.parametrize("command", ["cold-start", "distribution"])
@pytest.mark.parametrize(("option", "value", "accepted"), [
    ("--like", "00004,00008", "00004 00008"), ("--like", "00004=2, 00008", "00004=2 00008"),
    # a weight after the last id is the whole value's (read whole: film '00004,00008' of
    # weight 2): each id keeps it, where '00004' was suggested without it
    ("--like", "00004,00008=2", "00004=2 00008=2"),
    ("--like", "00004=3,00008=2", "00004=3 00008=2"),
    ("--genre", f"{GENRES[0]},{GENRES[1]}", f"{GENRES[0]} {GENRES[1]}"),
])
def test_a_comma_list_is_refused_naming_the_form(model_dir: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 command: str, option: str, value: str,
                                                 accepted: str) -> None:
    other = ["--genre", GENRES[2]] if option == "--like" else ["--like", "00002"]
    code, out, err = run_cli(capsys, command, model_dir, option, value, *other)
    assert code == 2 and out == ""
    assert f"{option} {value!r}: give several values separated by spaces, not commas " \
           f"({option} {accepted})" in err, err
    code, _, err = run_cli(capsys, command, model_dir, option, *accepted.split(), *other)
    assert code == 0, err


def test_a_value_of_no_known_part_is_still_an_unknown_film(
        model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--like", "ghost,x", "--genre",
                           GENRES[0], "-k", 2)
    assert code == 0 and "skipped unknown film_id 'ghost,x'" in err


def test_with_takes_a_comma_list_as_repeated(model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    films = tmp_path / "films.txt"
    films.write_text("00004\n00008\n", encoding="utf-8")
    written = []
    for i, given in enumerate([["--with", "region,gender"],
                               ["--with", "region", "--with", "gender"]]):
        out = tmp_path / f"a{i}.csv"
        code, _, err = run_cli(capsys, "audiences", model_dir, "--films", films, "-k", 3,
                               *given, "--out", out)
        assert code == 0, err
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    assert written[0].splitlines()[0].endswith(",region,gender")


@pytest.mark.parametrize("path", ["/audiences/cold-start", "/distribution/cold-start"])
@pytest.mark.parametrize(("field", "value", "items"), [
    ("comparable_film_ids", "00004,00008", ["00004", "00008"]),
    ("genres", f"{GENRES[0]},{GENRES[1]}", [GENRES[0], GENRES[1]]),
])
def test_http_refuses_a_comma_list_too(model_dir: Path, path: str, field: str, value: str,
                                       items: list[str]) -> None:
    """HTTP skipped '00004,00008' as one unknown film (200) and called 'G0,G1' an unknown
    genre, where the CLI names the form: a 422 naming the item and the list it means."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    other = {"genres": [GENRES[2]]} if field == "comparable_film_ids" else \
        {"comparable_film_ids": ["00002"]}
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.post(path, json={field: [value], **other})
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        said = detail if isinstance(detail, str) else str(detail)
        assert f"{field}[0] {value!r}: give each as an item of its own" in said, said
        assert json.dumps(items) in said, said
        assert c.post(path, json={field: items, **other}).status_code == 200


@pytest.mark.parametrize("path", ["/audiences/cold-start", "/distribution/cold-start"])
@pytest.mark.parametrize("weight", [2, 0.5])
def test_http_suggests_the_weights_object_keeping_the_weight(model_dir: Path, path: str,
                                                             weight: float) -> None:
    """A weights object's key "00004,00008" was refused as ``comparable_film_ids[0]`` with a
    plain list suggested, the weight dropped: the object form is suggested, each id (byte for
    byte) with the weight given, and that object is accepted."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    meant = {"00004": weight, "00008": weight}  # the oracle: the object the key stands for
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.post(path, json={"comparable_film_ids": {"00004,00008": weight, "00002": 1}})
        assert r.status_code == 422, r.text
        said = r.json()["detail"]
        said = said if isinstance(said, str) else str(said)
        assert "comparable_film_ids key '00004,00008': give each id as a key of its own" in said
        assert "comparable_film_ids[0]" not in said, said
        shown = said.split("(comparable_film_ids: ", 1)[1].split("); ", 1)[0]
        assert json.loads(shown) == meant and shown == json.dumps(meant), said
        assert c.post(path, json={"comparable_film_ids": {**meant, "00002": 1}}
                      ).status_code == 200


@pytest.mark.parametrize("path", ["/audiences/cold-start", "/distribution/cold-start"])
@pytest.mark.parametrize(("items", "meant"), [
    (["00004=2", "00002"], {"00004": 2, "00002": 1}),
    (["00002", "00004=0.5"], {"00002": 1, "00004": 0.5}),
])
def test_http_refuses_the_cli_weight_form_naming_the_object(
        model_dir: Path, path: str, items: list[str], meant: dict[str, float]) -> None:
    """A list item "00004=2" (the CLI's FILM_ID=WEIGHT; "00004" is a film, "00004=2" none)
    was skipped as an unknown film, 200 with the audience built without it: a 422 naming the
    item and the weights object the list stands for, which is accepted. Oracle: the model's
    film ids, and the object written by hand."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    k = {"k": 1} if path == "/audiences/cold-start" else {}
    at = next(i for i, item in enumerate(items) if "=" in item)
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        r = c.post(path, json={"comparable_film_ids": items, **k})
        assert r.status_code == 422, r.text
        said = r.json()["detail"]
        said = said if isinstance(said, str) else str(said)
        assert f"comparable_film_ids[{at}] {items[at]!r}: FILM_ID=WEIGHT is the command " \
               "line's form" in said, said
        shown = said.split("(comparable_film_ids: ", 1)[1].split("); ", 1)[0]
        assert json.loads(shown) == meant, said
        assert c.post(path, json={"comparable_film_ids": meant, **k}).status_code == 200
        # an unknown film with '=' in it, whose head is no film either, is still skipped
        ok = c.post(path, json={"comparable_film_ids": ["ghost=2", "00002"], **k})
        if path == "/audiences/cold-start":
            assert ok.status_code == 200 and ok.json()["unknown_film_ids"] == ["ghost=2"]
        else:
            assert ok.status_code == 200, ok.text
