"""``plan --idempotency-key KEY`` answers a retry with the plan stored under the key, as the
``Idempotency-Key`` header does over HTTP, in the same store records; and a plan that repeats a
stored one (same slate, model and parameters) says so. The same ``plan ... --seed 7 --store``
run twice stored a second plan that left out every pair of the first (4.15 value units against
16.50), said only as "501 pairs ... by 1 other stored plan(s) ... left out".

Oracle: the store's own tables read with sqlite3 (plans and idempotency rows), the files'
bytes, and the first plan's id as the first command printed it."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

from recommender.campaigns.store import CampaignStore
from service.app import create_app
from service.settings import Settings

pytestmark = pytest.mark.usefixtures("no_recommender_env")  # its defaults, not the shell's


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("plan-keys") / "model")


def _slate(tmp_path: Path) -> Path:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget,value\n00003,20,2\n00004,15,1\n", encoding="utf-8")
    return slate


def _stored(db: Path) -> tuple[list[str], dict[str, str]]:
    """The plan ids the store holds and its idempotency keys (key -> plan id)."""
    with sqlite3.connect(db) as c:
        plans = sorted(r[0] for r in c.execute("SELECT plan_id FROM campaign_plans"))
        keys = dict(c.execute("SELECT key, plan_id FROM campaign_idempotency").fetchall())
    return plans, keys


def _plan(capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path, out: str,
          *extra: Any) -> tuple[int, str, str]:
    return run(capsys, "plan", model, "--slate", _slate(tmp_path), "--out", tmp_path / out,
               "--summary", tmp_path / f"{out}.json", "--store", tmp_path / "s.db", *extra)


def test_a_retry_with_the_key_answers_the_stored_plan(model_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _plan(capsys, model_dir, tmp_path, "p1.csv", "--seed", "7",
                           "--idempotency-key", "retry-1")
    assert code == 0, err
    plans, keys = _stored(tmp_path / "s.db")
    assert len(plans) == 1 and keys == {"retry-1": plans[0]} and plans[0] in out
    code, out, err = _plan(capsys, model_dir, tmp_path, "p2.csv", "--seed", "7",
                           "--idempotency-key", "retry-1")
    assert code == 0, err
    assert _stored(tmp_path / "s.db") == (plans, keys)  # nothing more stored
    assert (tmp_path / "p2.csv").read_bytes() == (tmp_path / "p1.csv").read_bytes()
    assert json.loads((tmp_path / "p2.csv.json").read_text()) == \
        json.loads((tmp_path / "p1.csv.json").read_text())
    assert f"note: plan {plans[0]} was stored under --idempotency-key 'retry-1'" in err
    assert "nothing was planned or stored" in err and "left out" not in err
    # the same key on another request: refused naming the plan, nothing written or stored
    code, out, err = _plan(capsys, model_dir, tmp_path, "p3.csv", "--seed", "8",
                           "--idempotency-key", "retry-1")
    assert code == 2 and f"--idempotency-key 'retry-1' was used for another request (plan " \
        f"{plans[0]})" in err, err
    assert not (tmp_path / "p3.csv").exists() and _stored(tmp_path / "s.db") == (plans, keys)


def test_the_key_is_the_store_s_shared_with_http(model_dir: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _plan(capsys, model_dir, tmp_path, "p1.csv", "--idempotency-key", "k-9")
    assert code == 0, err
    plan_id = _stored(tmp_path / "s.db")[1]["k-9"]
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/campaigns/plan", json={"films": [{"film_id": "00005", "budget": 5}]},
                   headers={"Idempotency-Key": "k-9"})
    assert r.status_code == 409 and plan_id in r.json()["detail"], r.text


def test_a_key_needs_a_store_and_a_form(model_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", model_dir, "--slate", _slate(tmp_path), "--out",
                       tmp_path / "p.csv", "--idempotency-key", "k")
    assert code == 2 and "--idempotency-key needs a campaign store" in err, err
    code, _, err = _plan(capsys, model_dir, tmp_path, "p.csv", "--idempotency-key", "a key")
    assert code == 2 and "printable ASCII characters without spaces" in err, err
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "s.db").exists()


def test_a_twin_stored_first_under_the_key_is_answered(model_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs with one key at once: the one that stores second answers the other's plan
    (its own plan clashes with the twin's pairs and the key is taken)."""
    real = CampaignStore.save_plan
    twin: list[str] = []

    def raced(self: CampaignStore, plan_id: str, summary: dict[str, Any], rows: Any,
              **kw: Any) -> dict[str, Any]:
        if not twin and kw.get("key") is not None:  # the twin's, stored just before
            import pyarrow as pa

            twin.append(plan_id.replace("plan-", "plan-twin"))
            real(self, twin[0], {**summary, "plan_id": twin[0]}, rows.set_column(
                0, "plan_id", pa.array([twin[0]] * rows.num_rows)), **kw)
        return real(self, plan_id, summary, rows, **kw)

    monkeypatch.setattr(CampaignStore, "save_plan", raced)
    code, out, err = _plan(capsys, model_dir, tmp_path, "p1.csv", "--idempotency-key", "k")
    assert code == 0, err
    assert _stored(tmp_path / "s.db") == (twin, {"k": twin[0]})
    assert f"note: plan {twin[0]} was stored under --idempotency-key 'k'" in err
    with open(tmp_path / "p1.csv", newline="", encoding="utf-8") as f:
        assert {row["plan_id"] for row in csv.DictReader(f)} == {twin[0]}


def test_a_next_wave_s_retry_with_the_key(model_dir: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert _plan(capsys, model_dir, tmp_path, "p1.csv")[0] == 0
    first = _stored(tmp_path / "s.db")[0][0]
    after = ["--after", first, "--sent-waves", "1", "--idempotency-key", "next-1"]
    for out in ("n1.csv", "n2.csv"):
        code, _, err = run(capsys, "plan", model_dir, "--out", tmp_path / out, "--summary",
                           tmp_path / f"{out}.json", "--store", tmp_path / "s.db", *after)
        assert code == 0, err
    plans, keys = _stored(tmp_path / "s.db")
    assert len(plans) == 2 and set(plans) == {first, keys["next-1"]}
    assert (tmp_path / "n1.csv").read_bytes() == (tmp_path / "n2.csv").read_bytes()
    assert f"note: plan {keys['next-1']} was stored under --idempotency-key 'next-1'" in err
    # the summary too, with what a next wave's is given as it is read (its chain, ...)
    summaries = [json.loads((tmp_path / f"{n}.csv.json").read_text()) for n in ("n1", "n2")]
    assert summaries[1] == summaries[0]
    assert [p["plan_id"] for p in summaries[1]["chain"]] == [first]
    assert {"chain_cut", "next_waves", "wave_sends"} <= set(summaries[1])


def test_a_plan_repeating_a_stored_one_says_so(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("u5\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("u6\n", encoding="utf-8")
    same = ["--seed", "7", "--exclude", str(tmp_path / "a.txt")]
    code, out, err = _plan(capsys, model_dir, tmp_path, "p1.csv", *same)
    assert code == 0 and "same slate, model and parameters" not in err, err
    first = _stored(tmp_path / "s.db")[0][0]
    created = json.loads((tmp_path / "p1.csv.json").read_text())["created"]
    code, out, err = _plan(capsys, model_dir, tmp_path, "p2.csv", *same)
    assert code == 0, err
    assert f"warning: plan {first} (stored {created}) has the same slate, model and " \
           "parameters as this plan" in err and "withdraw" in err
    summary = json.loads((tmp_path / "p2.csv.json").read_text())
    assert summary["held_out_elsewhere"]["same_request"] == [{"plan_id": first,
                                                              "created": created}]
    # another seed, or another opt-out (of as many users): another request, no twin (their
    # pairs are still left out)
    for extra in (["--seed", "8", "--exclude", str(tmp_path / "a.txt")],
                  ["--seed", "7", "--exclude", str(tmp_path / "b.txt")]):
        code, out, err = _plan(capsys, model_dir, tmp_path, "p3.csv", *extra)
        assert code == 0 and "same slate, model and parameters" not in err, err
        assert "left out" in err
        assert "same_request" not in json.loads((tmp_path / "p3.csv.json").read_text())[
            "held_out_elsewhere"]


def test_http_says_so_too(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        events_poll=0, warm_cache=False)
    body = {"films": [{"film_id": "00003", "budget": 20}], "seed": 3}
    with TestClient(create_app(settings)) as c:
        first = c.post("/campaigns/plan", json=body).json()
        again = c.post("/campaigns/plan", json=body).json()
    assert again["summary"]["held_out_elsewhere"]["same_request"] == [
        {"plan_id": first["plan_id"], "created": first["summary"]["created"]}]
    assert again["summary"]["retry_warning"].startswith(f"plan {first['plan_id']} (stored ")
