"""The ``recommender`` console script, end to end and in-process (``cli.main``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from helpers import run_cli as run
from helpers import synthetic_model
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import fit_factors, make_backend
from recommender.query.audience import audience_summary, film_audience
from recommender.query.recommend import recommend_user


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(synthetic_model(n_users=150, n_films=25, seed=6),
                         tmp_path_factory.mktemp("cli") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def assert_bad_input(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def read_any(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    strings = {c: pa.string() for c in ("film_id", "user_id", "tier", "title")}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=strings))


# ------------------------------------------------------------------ audience


def said(model: Model) -> str:
    """What a table answer says on stderr: the model that answered, as --json says it."""
    return f"note: answer from model {model.version} as trained\n"


def test_audience_table(capsys: pytest.CaptureFixture[str], model_dir: Path,
                        model: Model) -> None:
    fid = str(model.films.ids[3])
    code, out, err = run(capsys, "audience", model_dir, fid, "--k", 5)
    assert code == 0 and err == said(model)
    assert "Film 3" in out and fid in out
    page = film_audience(model, fid, k=5)
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    body = lines[header + 2:-1]
    assert len(body) == 5
    assert lines[-1].startswith("score: the model's taste score, the dot product")  # the legend
    for line, uid, rank in zip(body, page.user_ids, page.rank, strict=True):
        cells = line.split()
        assert cells[0] == str(rank) and cells[1] == uid


def test_audience_json_equals_library(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                      model: Model) -> None:
    fid = str(model.films.ids[0])  # "0001000": ids stay strings byte for byte
    code, out, _ = run(capsys, "audience", model_dir, fid, "--k", 5, "--json")
    assert code == 0
    body = json.loads(out)
    assert body == film_audience(model, fid, k=5).to_json()
    assert body["film_id"] == "0001000"
    code, out, _ = run(capsys, "audience", model_dir, fid, "--k", 4, "--offset", 6, "--json",
                       "--segment", 1, "--filter", "region=North", "--filter", "region=East")
    assert code == 0
    want = film_audience(model, fid, k=4, offset=6, segment=1,
                         filters={"region": ["North", "East"]}).to_json()
    assert json.loads(out) == want
    code, out, _ = run(capsys, "audience", model_dir, fid, "--k", 3, "--json", "--include-seen")
    assert json.loads(out) == film_audience(model, fid, k=3, exclude_seen=False).to_json()


@pytest.mark.parametrize("argv", [("audience", "{fid}"), ("similar", "{fid}"),
                                  ("recommend", "--user", "{uid}"), ("search", "Film")])
def test_a_page_size_is_also_said_as_k(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                       model: Model, argv: tuple[str, ...]) -> None:
    """``-k 5``, as a page size is typed at a shell (pytest's, grep's habit), was refused as
    an unrecognised argument; it is ``--k 5``."""
    ids = {"fid": str(model.films.ids[2]), "uid": str(model.users.ids[2])}
    args = [a.format(**ids) for a in argv]
    cmd, rest = args[0], args[1:]
    code, short, err = run(capsys, cmd, model_dir, *rest, "-k", 3, "--json")
    assert code == 0, err
    assert (code, short) == run(capsys, cmd, model_dir, *rest, "--k", 3, "--json")[:2]
    assert short != run(capsys, cmd, model_dir, *rest, "--k", 4, "--json")[1]


def test_audience_bad_input(capsys: pytest.CaptureFixture[str], model_dir: Path,
                            tmp_path: Path) -> None:
    code, out, err = run(capsys, "audience", model_dir, "no-such-film", "--k", 5)
    assert_bad_input(code, err, "no-such-film")
    assert out == ""
    code, _, err = run(capsys, "audience", tmp_path / "missing-model", "x")
    assert_bad_input(code, err, "missing-model")
    code, _, err = run(capsys, "audience", model_dir, "0001000", "--k", 0)
    assert_bad_input(code, err, "--k")
    code, _, err = run(capsys, "audience", model_dir, "0001000", "--filter", "nonsense")
    assert_bad_input(code, err, "ATTRIBUTE=VALUE")
    code, _, err = run(capsys, "audience", model_dir, "0001000", "--filter", "height=2m")
    assert_bad_input(code, err, "height")
    code, _, err = run(capsys, "audience", model_dir, "0001000", "--segment", 99)
    assert_bad_input(code, err, "segment")


# ------------------------------------------------------------------ audiences


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_audiences_all(capsys: pytest.CaptureFixture[str], model_dir: Path, model: Model,
                       tmp_path: Path, ext: str) -> None:
    out_path = tmp_path / f"x.{ext}"
    code, out, err = run(capsys, "audiences", model_dir, "--all", "--k", 3, "--out", out_path)
    assert code == 0 and "wrote" in out
    table = read_any(out_path)
    assert table.column_names[:4] == ["film_id", "user_id", "rank", "score"]
    assert table.num_rows == 3 * model.n_films
    rows = table.to_pydict()
    for f in (0, 24):
        fid = str(model.films.ids[f])
        page = film_audience(model, fid, k=3)
        sel = [i for i, x in enumerate(rows["film_id"]) if x == fid]
        assert [rows["user_id"][i] for i in sel] == page.user_ids.tolist()
        assert [rows["rank"][i] for i in sel] == [1, 2, 3]
    if ext == "csv":
        with open(out_path, newline="") as fh:  # any CSV reader sees the contract header
            assert next(csv.reader(fh))[:4] == ["film_id", "user_id", "rank", "score"]


def test_audiences_film_list_and_errors(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                        model: Model, tmp_path: Path) -> None:
    films = tmp_path / "films.txt"
    films.write_text(f"{model.films.ids[2]}\n{model.films.ids[7]}\n")
    out_path = tmp_path / "some.csv"
    code, _, _ = run(capsys, "audiences", model_dir, "--films", films, "--k", 4, "--out",
                     out_path)
    assert code == 0
    assert sorted(set(read_any(out_path).column("film_id").to_pylist())) == sorted(
        [str(model.films.ids[2]), str(model.films.ids[7])])
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{model.films.ids[2]}\nghost-film\n")
    target = tmp_path / "never.csv"
    code, out, err = run(capsys, "audiences", model_dir, "--films", bad, "--out", target)
    assert_bad_input(code, err, "ghost-film")
    assert not target.exists()
    code, _, err = run(capsys, "audiences", model_dir, "--all", "--out", tmp_path / "x.xlsx")
    assert_bad_input(code, err, "x.xlsx", ".csv")
    assert not (tmp_path / "x.xlsx").exists()
    code, _, err = run(capsys, "audiences", model_dir, "--all", "--out", tmp_path / "noext")
    assert_bad_input(code, err, "noext")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "films.txt", "some.csv"]


# ------------------------------------------------------------------ recommend


def test_recommend_user(capsys: pytest.CaptureFixture[str], model_dir: Path,
                        model: Model) -> None:
    uid = str(model.users.ids[10])
    code, out, err = run(capsys, "recommend", model_dir, "--user", uid, "--k", 4)
    assert code == 0 and err == said(model)
    recs = recommend_user(model, uid, k=4)
    for f in recs.film_idx:
        assert str(model.films.ids[f]) in out and f"Film {f}" in out
    # the table says what its score and reasons are (it printed a bare "score")
    assert "score: the model's taste score (the dot product of the user's and the film's taste " \
        "vectors: the user's score in the film's audience), for ordering only" in out
    code, out, _ = run(capsys, "recommend", model_dir, "--user", uid, "--k", 4, "--json")
    assert code == 0
    assert json.loads(out) == recs.to_json(model) and recs.note is None


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_recommend_users_and_all(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                 model: Model, tmp_path: Path, ext: str) -> None:
    users = tmp_path / "users.txt"
    chosen = [str(model.users.ids[i]) for i in (4, 99, 0)]
    users.write_text("\n".join(chosen) + "\n")
    out_path = tmp_path / f"r.{ext}"
    code, _, _ = run(capsys, "recommend", model_dir, "--users", users, "--k", 5, "--out",
                     out_path)
    assert code == 0
    table = read_any(out_path)
    assert table.column_names[:4] == ["user_id", "film_id", "rank", "score"]
    rows = table.to_pydict()
    for uid in chosen:
        sel = [i for i, x in enumerate(rows["user_id"]) if x == uid]
        want = recommend_user(model, uid, k=5)
        assert [rows["film_id"][i] for i in sel] == model.films.ids[want.film_idx].tolist()
    all_path = tmp_path / f"all.{ext}"
    code, _, _ = run(capsys, "recommend", model_dir, "--all", "--k", 2, "--out", all_path)
    assert code == 0
    assert read_any(all_path).num_rows == 2 * model.n_users


def test_recommend_bad_input(capsys: pytest.CaptureFixture[str], model_dir: Path,
                             tmp_path: Path) -> None:
    code, _, err = run(capsys, "recommend", model_dir, "--user", "nobody")
    assert_bad_input(code, err, "nobody")
    users = tmp_path / "users.txt"
    users.write_text("user-0001\nnobody-2\n")
    target = tmp_path / "r.csv"
    code, _, err = run(capsys, "recommend", model_dir, "--users", users, "--out", target)
    assert_bad_input(code, err, "nobody-2")
    assert not target.exists()
    code, _, err = run(capsys, "recommend", model_dir, "--all")
    assert_bad_input(code, err, "--out")
    code, _, err = run(capsys, "recommend", model_dir, "--all", "--out", tmp_path / "r.json")
    assert_bad_input(code, err, "r.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.txt"]


# ------------------------------------------------------------------ training options


def _exact_als_half(c: NDArray[np.float64], fixed: NDArray[np.float64], reg: float
                    ) -> NDArray[np.float64]:
    """Closed-form implicit-ALS rows for confidences ``c`` (rows x cols, 0 = unobserved):
    (F'F + reg I + sum_i (c_i - 1) f_i f_i') x = sum_i c_i f_i."""
    out = np.empty((c.shape[0], fixed.shape[1]))
    for r in range(c.shape[0]):
        obs = c[r] > 0
        a = fixed.T @ fixed + reg * np.eye(fixed.shape[1])
        a += (fixed[obs].T * (c[r, obs] - 1)) @ fixed[obs]
        out[r] = np.linalg.solve(a, fixed[obs].T @ c[r, obs])
    return out


def test_cg_steps_reach_the_solver(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import implicit.cpu.als  # noqa: F401  (load its BLAS before limiting it)

    with threadpool_limits(1, "blas"):
        assert make_backend(TrainConfig(cg_steps=2)).cg_steps == 2
    assert TrainConfig.from_dict(TrainConfig(cg_steps=1).to_dict()).cg_steps == 1
    # one ALS sweep from fixed factors: with as many CG steps as factors, CG solves each row's
    # 3x3 system exactly, so it equals the closed form; one CG step does not
    rng = np.random.default_rng(3)
    values = (rng.random((8, 6)) < 0.5).astype(np.float64)
    values[:, 0] = 1.0
    x0, y0 = rng.random((8, 3)), rng.random((6, 3))
    cfg: dict[str, Any] = dict(factors=3, regularization=0.5, alpha=3.0, weighting="binary")
    x1 = _exact_als_half(3.0 * values, y0, 0.5)
    y1 = _exact_als_half(3.0 * values.T, x1, 0.5)
    init = (x0.astype(np.float32), y0.astype(np.float32))
    matrix = sp.csr_matrix(values, dtype=np.float32)
    for steps, exact in ((3, True), (2, False), (1, False)):
        uf, ff = fit_factors(matrix, TrainConfig(cg_steps=steps, **cfg), init=init, iterations=1)
        assert np.allclose(uf, x1, rtol=1e-3, atol=1e-4) is exact, steps
        assert np.allclose(ff, y1, rtol=1e-3, atol=1e-4) is exact, steps
    for bad in (0, 33):
        with pytest.raises(InvalidParameterError, match=r"cg_steps must be in \[1, 32\]"):
            TrainConfig(cg_steps=bad).validate()
    data_file = tmp_path / "events.csv"
    data_file.write_text("user_id,film_id\nu1,f1\nu2,f1\nu2,f2\n")
    code, _, err = run(capsys, "train", "--data", data_file, "--out", tmp_path / "m",
                       "--cg-steps", 33)
    assert_bad_input(code, err, "cg_steps", "33")
    assert not (tmp_path / "m").exists()


# ------------------------------------------------------------------ end to end


def test_demo_train_audience_end_to_end(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    data_dir, model_dir = tmp_path / "demo", tmp_path / "model"
    code, _, _ = run(capsys, "demo-data", data_dir, "--users", 400, "--films", 60,
                     "--interactions", 5000)
    assert code == 0
    code, out, _ = run(capsys, "train", "--data", data_dir, "--out", model_dir, "--factors", 16,
                       "--iterations", 5, "--segments", 4, "--cg-steps", 2)
    assert code == 0 and "trained" in out
    film = json.loads((data_dir / "demo.json").read_text())["example_film_id"]
    code, out, _ = run(capsys, "audience", model_dir, film, "--k", 5)
    assert code == 0
    m = artifact.load(model_dir)
    assert str(m.catalog.titles[m.film_index(film)]) in out
    assert m.meta["params"]["factors"] == 16 and m.segments.n == 4
    assert m.meta["params"]["cg_steps"] == 2  # not the default (3): the option reached it


def test_ml100k_train_audience_and_portrait(capsys: pytest.CaptureFixture[str],
                                            shared_datasets: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "ml100k-model"
    code, out, err = run(capsys, "train", "--data", shared_datasets / "ml-100k", "--out",
                         model_dir, "--factors", 32, "--iterations", 8)
    assert code == 0, err
    assert "943 users" in out and "1,682 films" in out
    code, out, _ = run(capsys, "audience", model_dir, "50", "--k", 5)  # film 50: Star Wars
    assert code == 0 and "Star Wars" in out
    m = artifact.load(model_dir)
    # every cell of the core tier alone (min_cell 1): counts add up to the tier
    core = audience_summary(m, "50", tier="core", min_cell=1)
    for rows in core["portrait"].values():
        assert sum(r["count"] for r in rows) == core["tiers"][0]["size"]
    # the default portrait: core + extended, and no cell of 1-9 users (the issue's
    # "occupation entertainment: count 1, lift 13.1" on 4 users)
    summary = audience_summary(m, "50")
    portrait = summary["portrait"]
    scope = summary["portrait_scope"]
    assert scope["tiers"] == ["core", "extended"] and scope["default"]
    assert scope["users"] == summary["tiers"][0]["size"] + summary["tiers"][1]["size"]
    assert {"age_band", "gender", "occupation", "region"} <= set(portrait)
    for rows in portrait.values():
        assert all({"value", "count", "share", "base_share", "lift"} <= set(r) for r in rows)
        assert all(r["count"] == 0 or r["count"] >= summary["min_cell"] for r in rows)
        assert sum(r["count"] for r in rows) <= scope["users"]
    assert summary["suppressed_cells"] > 0
    # the whole ranking (a few hundred users): both genders are shown
    portrait = audience_summary(m, "50", tier="all")["portrait"]
    assert {r["value"] for r in portrait["gender"]} == {"M", "F"}
    gender = np.asarray(m.user_table.attributes["gender"])
    share_f = next(r["base_share"] for r in portrait["gender"] if r["value"] == "F")
    assert share_f == pytest.approx((gender == "F").mean(), abs=1e-4)  # 273 of 943 users
    assert "administrator" in {r["value"] for r in portrait["occupation"]} | set(
        m.user_table.attributes["occupation"].tolist())
    code, out, _ = run(capsys, "audience", model_dir, "50", "--k", 3, "--filter", "gender=F",
                       "--json")
    body = json.loads(out)
    assert all(gender[m.user_index(u["user_id"])] == "F" for u in body["users"])


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    """An omitted option's meaning is in ``--help``: argparse defaults, and for ``train`` the
    training configuration's defaults (read from ``TrainConfig``, the source ``train`` uses)."""
    from dataclasses import asdict

    from recommender.model.config import FAMILY_TUNABLE, PRIOR_TUNABLE, TUNABLE, TrainConfig

    TUNED = (*TUNABLE, *FAMILY_TUNABLE, *PRIOR_TUNABLE)  # noqa: N806
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name, value in asdict(TrainConfig()).items():
        if name in ("regularization", "learning_rate"):  # per model, in the option's help
            from recommender.model.config import MODEL_LEARNING_RATE, MODEL_REGULARIZATION

            per_model = (MODEL_REGULARIZATION if name == "regularization"
                         else {m: v for m, v in MODEL_LEARNING_RATE.items() if m != "als"})
            assert all(f"{v:g} for {m.upper()}" in text for m, v in per_model.items()), text
        elif name in TUNED and f"--{name.replace('_', '-')} " in text:
            # the search chooses it when omitted: the config's value is --no-tune's
            flat = text.replace("--no- tune", "--no-tune")  # argparse wraps at the hyphen
            assert f"default: chosen on a validation split; {value} with --no-tune" in flat, name
        elif value is not None and f"--{name.replace('_', '-')} " in text:
            assert f"default: {value})" in text or f"default: {value} " in text, name
    assert main(["audience", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--k K, -k K users to list (the page size) (default: 100)" in text
    assert "(offset+1)th user (default: 0)" in text


# ------------------------------------------------------------------ fail loudly (issue 19)


def test_audience_filter_values_resolve_or_list_the_valid_ones(
        capsys: pytest.CaptureFixture[str], model_dir: Path, model: Model) -> None:
    fid = str(model.films.ids[1])
    code, out, err = run(capsys, "audience", model_dir, fid, "--k", 4, "--json",
                         "--filter", "REGION=north", "--filter", "region=east")
    assert code == 0 and err == f"note: answer from model {model.version} as trained\n"
    want = film_audience(model, fid, k=4, filters={"region": ["North", "East"]}).to_json()
    assert json.loads(out) == want and want["total"] > 0
    code, out, err = run(capsys, "audience", model_dir, fid, "--filter", "region=Nowhere")
    assert code == 2 and out == ""
    assert err == ("error: unknown value 'Nowhere' for user attribute 'region'; valid values "
                   "of 'region' are: East, North, South, West\n")
    code, out, err = run(capsys, "audience", model_dir, fid, "--filter", "shoe=42")
    assert code == 2 and out == ""
    assert err == ("error: unknown user attribute 'shoe'; this model has: age_band, gender, "
                   "region\n")


def test_audience_header_past_the_end_and_filtered(capsys: pytest.CaptureFixture[str],
                                                   model_dir: Path, model: Model) -> None:
    fid = str(model.films.ids[4])
    total = film_audience(model, fid, k=1).total
    code, out, err = run(capsys, "audience", model_dir, fid, "--offset", 5000)
    assert code == 0 and err == said(model)
    lines = out.splitlines()
    assert lines[1].endswith(f"; ranking {total:,} candidates who have not; no users at ranks "
                             f"5001+ (the ranking has {total:,} candidates)")
    assert len(lines) == 2  # no empty table
    code, out, _ = run(capsys, "audience", model_dir, fid, "--offset", 5000, "--json")
    assert code == 0
    f = model.film_index(fid)  # the page names its film as the catalog has it
    assert json.loads(out) == film_audience(model, fid, k=100, offset=5000).to_json() == {
        "film_id": fid, "title": str(model.catalog.titles[f]),
        "year": int(model.catalog.years[f]) or None, "also_titled": None, "users": [],
        "total": total, "offset": 5000, "k": 100, "ring": None, "note": None, "empty": None}
    page = film_audience(model, fid, k=3, offset=2, filters={"region": ["North"]})
    code, out, _ = run(capsys, "audience", model_dir, fid, "--k", 3, "--offset", 2,
                       "--filter", "region=North")
    assert code == 0
    ranks = page.rank.tolist()
    assert out.splitlines()[1].endswith(
        f"; ranking {model.n_users - len(model.film_viewers(model.film_index(fid))):,} "
        "candidates who have not; showing 3 users (matches 3-5, global ranks "
        f"{min(ranks)}-{max(ranks)}) of {page.total:,} matching the filter")
    body = out.splitlines()[4:-1]  # the last line: the score's legend
    assert [int(line.split()[0]) for line in body] == ranks


def test_a_title_in_a_films_file_lists_the_films_it_matches(
        capsys: pytest.CaptureFixture[str], model_dir: Path, model: Model,
        tmp_path: Path) -> None:
    # `audience MODEL TITLE`, a slate, --watched and --like list the films a title matches;
    # `audiences --films FILE` said only "unknown film_id" for a title in the file
    title = str(model.catalog.titles[5])
    films = tmp_path / "films.txt"
    films.write_text(f"film_id\n{model.films.ids[2]}\n{title}\n")
    code, out, err = run(capsys, "audiences", model_dir, "--films", films, "--out",
                         tmp_path / "never.csv")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {films}, line 3: unknown film_id {title!r} (1 of the file's "
                          f"2 ids is unknown); it is the title of {model.films.ids[5]} {title}")
    assert err.count(f"{model.films.ids[5]} {title}") == 1  # not again among its matches


def test_id_files_skip_a_header_and_name_the_line_of_an_unknown_id(
        capsys: pytest.CaptureFixture[str], model_dir: Path, model: Model,
        tmp_path: Path) -> None:
    films = tmp_path / "films.txt"
    films.write_text(f"film_id\n{model.films.ids[2]}\n\n{model.films.ids[7]}\n")
    out_path = tmp_path / "a.csv"
    code, _, err = run(capsys, "audiences", model_dir, "--films", films, "--k", 2, "--out",
                       out_path)
    header = ("line 1 {!r} read as a header (a column name, not an id the model holds) and "
              "skipped; an id list needs no header")
    assert code == 0 and err == (f"note: {films}: 1 blank line between ids skipped (line 3)\n"
                                 f"note: {films}: {header.format('film_id')}\n")
    assert sorted(set(read_any(out_path).column("film_id").to_pylist())) == sorted(
        [str(model.films.ids[2]), str(model.films.ids[7])])
    bad = tmp_path / "bad.txt"
    bad.write_text(f"movieId\n{model.films.ids[2]}\n\nghost-1\nghost-2\n")
    code, out, err = run(capsys, "audiences", model_dir, "--films", bad, "--out",
                         tmp_path / "never.csv")
    assert code == 2 and out == ""
    assert err == (f"error: {bad}, line 4: unknown film_id 'ghost-1' (2 of the file's 3 ids "
                   f"are unknown: 'ghost-1', 'ghost-2')\n")
    users = tmp_path / "users.txt"
    users.write_text(f"user_id\n{model.users.ids[3]}\nnobody\n")
    code, out, err = run(capsys, "recommend", model_dir, "--users", users, "--out",
                         tmp_path / "r.csv")
    assert code == 2 and out == ""
    assert err == (f"error: {users}, line 3: unknown user_id 'nobody' (1 of the file's 2 ids "
                   f"is unknown)\n")
    users.write_text(f"userId\n{model.users.ids[3]}\n")
    code, _, err = run(capsys, "recommend", model_dir, "--users", users, "--k", 2, "--out",
                       tmp_path / "r.csv")
    assert code == 0 and err == f"note: {users}: {header.format('userId')}\n"
    assert read_any(tmp_path / "r.csv").column("user_id").to_pylist() == [
        str(model.users.ids[3])] * 2


# ------------------------------------------------------------------ rings, segments, --with


def test_audience_ring_by_name(capsys: pytest.CaptureFixture[str], model_dir: Path,
                               model: Model) -> None:
    fid = str(model.films.ids[5])
    page = film_audience(model, fid, k=4, offset=2, tier="extended")
    assert page.ring is not None
    lo, hi = page.ring["rank_range"]
    code, out, err = run(capsys, "audience", model_dir, fid, "--tier", "Extended", "--k", 4,
                         "--offset", 2)
    assert code == 0 and err == said(model)
    header = out.splitlines()[1]
    assert f"extended ring: ranks {lo}-{hi} ({page.ring['size']:,} users)" in header
    n = len(page.user_idx)
    assert n > 0 and header.endswith(
        f"showing extended ring users 3-{2 + n} (ranks {lo + 2}-{lo + 1 + n})")
    lines = out.splitlines()
    body = lines[next(i for i, s in enumerate(lines) if s.startswith("rank")) + 2:-1]
    assert [int(line.split()[0]) for line in body] == page.rank.tolist()
    code, out, _ = run(capsys, "audience", model_dir, fid, "--tier", "extended", "--k", 4,
                       "--offset", 2, "--json")
    assert json.loads(out) == page.to_json()
    code, _, err = run(capsys, "audience", model_dir, fid, "--tier", "outer")
    assert_bad_input(code, err, "unknown tier 'outer'", "core, extended, broad")
    code, _, err = run(capsys, "audience", model_dir, fid, "--tier", "core,extended")
    with pytest.raises(InvalidParameterError) as refused:  # the text HTTP gives too
        film_audience(model, fid, tier="core,extended")
    assert_bad_input(code, err, str(refused.value))
    assert "did you mean" not in err


def test_segment_by_label_on_the_command_line(capsys: pytest.CaptureFixture[str],
                                              model_dir: Path, model: Model,
                                              tmp_path: Path) -> None:
    fid = str(model.films.ids[6])
    label = str(model.segments.info[1]["label"])  # "Segment 1"
    code, out, _ = run(capsys, "audience", model_dir, fid, "--segment", label.upper(),
                       "--k", 3, "--json")
    assert code == 0
    assert json.loads(out) == film_audience(model, fid, k=3, segment=1).to_json()
    code, _, err = run(capsys, "audience", model_dir, fid, "--segment", "Segment 9")
    assert_bad_input(code, err, "unknown segment 'Segment 9'", "0: Segment 0 (")
    out_path = tmp_path / "cut.csv"
    code, out, err = run(capsys, "audiences", model_dir, "--all", "--k", 5, "--out", out_path,
                         "--tier", "broad", "--segment", "segment 1", "--filter",
                         "region=north", "--with", "segment_label,region")
    assert code == 0, err
    assert "broad ring, segment 1 (Segment 1), region=North" in out  # as the model names them
    rows = list(csv.DictReader(open(out_path, newline="", encoding="utf-8")))
    assert rows and {r["tier"] for r in rows} == {"broad"}
    assert {r["segment_label"] for r in rows} == {label} and {r["region"] for r in rows} == {
        "North"}
    for fid in sorted({r["film_id"] for r in rows})[:3]:
        page = film_audience(model, fid, k=5, tier="broad", segment=1,
                             filters={"region": "North"})
        assert [r["user_id"] for r in rows if r["film_id"] == fid] == page.user_ids.tolist()


def test_summary_tier_on_the_command_line(capsys: pytest.CaptureFixture[str], model_dir: Path,
                                          model: Model,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    fid = str(model.films.ids[3])
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "3")
    code, out, _ = run(capsys, "summary", model_dir, fid, "--tier", "all", "--json")
    assert code == 0
    body = json.loads(out)
    want = audience_summary(model, fid, tier="all", min_cell=3)
    assert body["portrait"] == want["portrait"] and body["min_cell"] == 3
    assert body["portrait_scope"] == want["portrait_scope"]
    code, out, _ = run(capsys, "summary", model_dir, fid)
    assert code == 0 and "Portrait of core + extended tiers" in out
    assert "left out, fewer than 3 users or a cell that would reveal one" in out


def test_a_new_films_genres_are_also_said_as_genres(capsys: pytest.CaptureFixture[str],
                                                   model_dir: Path, model: Model) -> None:
    """``cold-start --genres Drama`` (the JSON field's name, ``genres``) was refused as an
    unrecognised argument; it is ``--genre Drama``, in ``distribution`` too."""
    from recommender.query.audience import cold_start_audience

    genre = model.catalog.genres[0].split("|")[0]
    code, out, err = run(capsys, "cold-start", model_dir, "--genres", genre, "--k", 4, "--json")
    assert code == 0, err
    assert json.loads(out) == {**cold_start_audience(model, [], genres=[genre], k=4).to_json(),
                               "unknown_film_ids": [], "unknown_film_hints": []}
    assert out == run(capsys, "cold-start", model_dir, "--genre", genre, "--k", 4, "--json")[1]
    code, _, err = run(capsys, "distribution", model_dir, "--genres", genre, "--json")
    assert code == 0, err


def test_lookalike_and_cold_start_take_a_tier(capsys: pytest.CaptureFixture[str],
                                              model_dir: Path, model: Model,
                                              tmp_path: Path) -> None:
    from recommender.query.audience import cold_start_audience, lookalikes

    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(str(u) for u in model.users.ids[:4]) + "\n")
    code, out, _ = run(capsys, "lookalike", model_dir, "--seeds", seeds, "--tier", "broad",
                       "--k", 5, "--json")
    page, _ = lookalikes(model, [str(u) for u in model.users.ids[:4]], k=5, tier="broad")
    assert code == 0 and json.loads(out) == {**page.to_json(), "unknown_seed_ids": [],
                                             "unknown_seed_hints": []}
    fid = str(model.films.ids[2])
    code, out, _ = run(capsys, "cold-start", model_dir, "--like", fid, "--tier", "core",
                       "--json")
    assert code == 0
    assert json.loads(out) == {**cold_start_audience(model, [fid], tier="core").to_json(),
                               "unknown_film_ids": [], "unknown_film_hints": []}
