"""The ``recommender`` console script: argument parsing and printing only.

Every command calls the library; domain errors become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.errors import RecommenderError
from recommender.io.columns import (
    AGE_BAND,
    GENDER,
    PERCENTILE,
    RANK,
    REGION,
    SCORE,
    SEGMENT,
    TIER,
    USER_ID,
)

if TYPE_CHECKING:  # the commands import what they need when they run
    from numpy.typing import NDArray

    from recommender.io.ids import IdMap
    from recommender.model.config import TrainConfig
    from recommender.model.model import Model

EXIT_BAD_INPUT = 2


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)


def _print_json(body: Any) -> None:
    """``body`` as the matching HTTP endpoint sends it (compact, UTF-8 text)."""
    print(json.dumps(body, ensure_ascii=False, separators=(",", ":")))


# ---------------------------------------------------------------- commands


def cmd_demo_data(args: argparse.Namespace) -> int:
    from recommender.io.demo import generate

    out = generate(args.out_dir, seed=args.seed, n_users=args.users, n_films=args.films,
                   n_interactions=args.interactions, progress=sys.stderr.isatty())
    print(f"wrote demo data to {out}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from recommender.io.download import download

    path = download(args.name, Path(args.dest))
    print(f"{args.name} is ready in {path}")
    return 0


def _train_config(args: argparse.Namespace) -> TrainConfig:
    from recommender.model.config import TrainConfig

    base: dict[str, Any] = {}
    if args.config:
        try:
            loaded = json.loads(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            from recommender.errors import DataError

            raise DataError(args.config, f"expected a JSON object of training options ({e})"
                            ) from None
        base = loaded.get("params", loaded) if isinstance(loaded, dict) else {}
    for name in ("model", "factors", "iterations", "regularization", "alpha", "cg_steps",
                 "weighting", "min_rating", "learning_rate", "seed", "segments", "holdout"):
        value = getattr(args, name)
        if value is not None:
            base[name] = value
    return TrainConfig.from_dict(base).validate()


def cmd_train(args: argparse.Namespace) -> int:
    from recommender.io import readers
    from recommender.model import artifact
    from recommender.model.training import train

    config = _train_config(args)
    engine = getattr(args, "engine", "local")
    t0 = time.perf_counter()
    if engine == "spark":
        from recommender.spark.training import train_spark

        model = train_spark(args.data, config, films=args.films, users=args.users,
                            master=args.spark_master)
    else:
        interactions = readers.load(args.data, films=args.films, users=args.users)
        model = train(interactions, config)
    out = artifact.save(model, args.out)
    seconds = time.perf_counter() - t0
    d = model.meta["data"]
    size = artifact.artifact_size(out)
    print(f"trained {config.model.upper()} ({config.factors} factors, {config.iterations} "
          f"iterations, {config.weighting} weighting) on {d['users']:,} users x "
          f"{d['films']:,} films x {d['interactions']:,} interactions in {seconds:.1f} s")
    print(f"model {model.version} written to {out} ({size / 1e6:.1f} MB)")
    return 0


def _load_model(path: str) -> Model:
    from recommender.model import artifact

    return artifact.load(path)


def _print_table(headers: list[str], rows: list[list[Any]]) -> None:
    from recommender.io.text import table_text

    print(table_text(headers, rows))


def cmd_audience(args: argparse.Namespace) -> int:
    from recommender.query.audience import film_audience
    from recommender.query.catalog import segment_labels
    from recommender.query.filters import parse_filters

    model = _load_model(args.model)
    filters = parse_filters(args.filter, "--filter")
    page = film_audience(model, args.film_id, k=args.k, offset=args.offset,
                         exclude_seen=not args.include_seen, segment=args.segment,
                         filters=filters)
    if args.json:
        _print_json(page.to_json())
        return 0
    f = model.film_index(args.film_id)
    title = model.catalog.titles[f] or args.film_id
    year = int(model.catalog.years[f])
    genres = str(model.catalog.genres[f]).replace("|", ", ")
    print(f"Audience for {title}{f' ({year})' if year and str(year) not in title else ''}"
          f" [film {args.film_id}]{f' - {genres}' if genres else ''}")
    # an empty page (offset past the end) is what the HTTP route answers too (200, with
    # ``total``); the header says so instead of a backwards rank range
    filtered = args.segment is not None or bool(filters)
    who = "" if args.include_seen else " who have not"
    ranking = (f"ranking the candidates{who}" if filtered
               else f"ranking {page.total:,} candidates{who}")
    print(f"{len(model.film_viewers(f)):,} users have watched it; {ranking}; "
          f"{page.shown_text(filtered)}")
    if not len(page.user_idx):
        return 0
    seg_names = segment_labels(model)
    attrs: list[str] = [a for a in (AGE_BAND, GENDER, REGION)
                        if a in model.user_table.attributes]
    rows = []
    for i, r in enumerate(page.rows()):
        u = page.user_idx[i]
        rows.append([r["rank"], r["user_id"], f"{r['score']:.4f}", f"{r['percentile']:.2f}",
                     r["tier"] or "-", seg_names[r["segment"]]]
                    + [model.user_table.attributes[a][u] for a in attrs])
    _print_table([RANK, USER_ID, SCORE, PERCENTILE, TIER, SEGMENT] + attrs, rows)
    return 0


def _read_ids(path: str) -> list[str]:
    from recommender.io.readers import read_id_list

    return read_id_list(path)


def _read_id_index(path: str, ids: IdMap, kind: str) -> NDArray[np.int64]:
    """The indices of an id-list file's ids; an unknown id names the file and its line."""
    from recommender.io.readers import read_id_list_index

    return read_id_list_index(path, ids, kind)


def cmd_audiences(args: argparse.Namespace) -> int:
    from recommender.query.export import output_format, write_audiences

    output_format(args.out)
    if getattr(args, "engine", "local") == "spark":
        from recommender.spark.scoring import batch_audiences_spark

        film_ids = None if args.all else _read_ids(args.films)
        rows = batch_audiences_spark(args.model, args.k, args.out, master=args.spark_master,
                                     films=film_ids, exclude_seen=not args.include_seen)
        print(f"wrote {rows:,} rows to {args.out}")
        return 0
    model = _load_model(args.model)
    if args.all:
        films = np.arange(model.n_films)
    else:
        films = _read_id_index(args.films, model.films, "film_id")
    t0 = time.perf_counter()
    rows = write_audiences(model, films, args.k, args.out, exclude_seen=not args.include_seen)
    print(f"wrote {rows:,} rows ({len(films):,} films x top {args.k}) to {args.out} "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from recommender.errors import InvalidParameterError, UnknownUserError
    from recommender.query.export import write_recommendations
    from recommender.query.recommend import recommend_user

    model = _load_model(args.model)
    if args.user is not None and args.out is None:
        films = recommend_user(model, args.user, k=args.k)
        body = films.to_json(model)
        if args.json:
            _print_json(body)
            return 0
        print(f"Top {args.k} films for user {args.user}")
        _print_table(["rank", "film_id", "score", "title", "because you watched"], [
            [r["rank"], r["film_id"], f"{r['score']:.4f}", r["title"],
             ", ".join(b["title"] or b["film_id"] for b in r.get("because", [])[:2])]
            for r in body["films"]])
        return 0
    if args.out is None:
        raise InvalidParameterError("--users and --all need --out PATH.csv|PATH.parquet")
    if args.all:
        users = np.arange(model.n_users)
    else:
        users = (model.users.to_index([args.user], strict=True, error=UnknownUserError)
                 if args.user is not None else _read_id_index(args.users, model.users, "user_id"))
    t0 = time.perf_counter()
    rows = write_recommendations(model, users, args.k, args.out)
    print(f"wrote {rows:,} rows ({len(users):,} users x top {args.k}) to {args.out} "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from recommender.evaluation.report import cli_evaluate

    result: int = cli_evaluate(args)
    return result


def cmd_tune(args: argparse.Namespace) -> int:
    from recommender.evaluation.report import cli_tune

    result: int = cli_tune(args)
    return result


def cmd_serve(args: argparse.Namespace) -> int:
    from service.server import serve

    serve(args.model, host=args.host, port=args.port, workers=args.workers)
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="recommender",
        description="Film audience engine: who is the audience for this film?")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=fn)
        return sp

    s = add("demo-data", cmd_demo_data, "write the synthetic demo dataset to OUT_DIR")
    s.add_argument("out_dir")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--users", type=_positive_int, default=3000)
    s.add_argument("--films", type=_positive_int, default=400)
    s.add_argument("--interactions", type=_positive_int, default=100_000)

    s = add("download", cmd_download, "download and verify a public dataset (needs internet)")
    s.add_argument("name", help="ml-100k, ml-1m, ml-latest-small or movietweetings")
    s.add_argument("dest")

    s = add("train", cmd_train, "train a model on an interactions file or dataset folder")
    s.add_argument("--data", required=True, help="interactions file or dataset folder")
    s.add_argument("--out", required=True, help="model folder to write")
    s.add_argument("--films", help="extra film catalog CSV (film_id,title,year,genres)")
    s.add_argument("--users", help="extra user attributes CSV (user_id,...)")
    s.add_argument("--config", help="JSON of training options (e.g. written by `tune`)")
    s.add_argument("--model", choices=["als", "bpr", "lmf"])
    s.add_argument("--factors", type=_positive_int)
    s.add_argument("--iterations", type=_positive_int)
    s.add_argument("--regularization", type=float)
    s.add_argument("--alpha", type=float)
    s.add_argument("--cg-steps", type=_positive_int, dest="cg_steps",
                   help="conjugate-gradient steps per ALS solve (1-32; local engine only)")
    s.add_argument("--weighting", choices=["binary", "rating", "log", "bm25"])
    s.add_argument("--min-rating", type=float, dest="min_rating")
    s.add_argument("--learning-rate", type=float, dest="learning_rate")
    s.add_argument("--seed", type=int)
    s.add_argument("--segments", type=_positive_int, help="number of audience segments")
    s.add_argument("--holdout", type=float,
                   help="share of interactions held out to measure tier conversion")
    s.add_argument("--engine", choices=["local", "spark"], default="local")
    s.add_argument("--spark-master", default="local[*]")

    s = add("audience", cmd_audience, "print a film's ranked audience")
    s.add_argument("model")
    s.add_argument("film_id")
    s.add_argument("--k", type=_positive_int, default=100)
    s.add_argument("--offset", type=_nonneg_int, default=0)
    s.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    s.add_argument("--include-seen", action="store_true",
                   help="keep users who already watched the film")
    s.add_argument("--segment", type=int, help="only users of this segment")
    s.add_argument("--filter", action="append", metavar="ATTR=VALUE",
                   help="only users with this attribute value (repeatable)")

    s = add("audiences", cmd_audiences, "export the audiences of many films")
    s.add_argument("model")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--films", help="file with one film id per line")
    g.add_argument("--all", action="store_true", help="every film in the model")
    s.add_argument("--k", type=_positive_int, default=100)
    s.add_argument("--out", required=True, help="PATH.csv or PATH.parquet")
    s.add_argument("--include-seen", action="store_true")
    s.add_argument("--engine", choices=["local", "spark"], default="local")
    s.add_argument("--spark-master", default="local[*]")

    s = add("recommend", cmd_recommend, "recommend films to users")
    s.add_argument("model")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--user", help="one user id")
    g.add_argument("--users", help="file with one user id per line")
    g.add_argument("--all", action="store_true", help="every user in the model")
    s.add_argument("--k", type=_positive_int, default=10)
    s.add_argument("--out", help="PATH.csv or PATH.parquet")
    s.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")

    s = add("evaluate", cmd_evaluate, "evaluate the engine and baselines on a dataset")
    s.add_argument("--data", required=True)
    s.add_argument("--protocol", choices=["random", "time", "user"], default="random")
    s.add_argument("--k", type=_positive_int, default=100)
    s.add_argument("--json", dest="json_path", help="write the report as JSON to this path")
    s.add_argument("--seed", type=int, default=0)

    s = add("tune", cmd_tune, "search hyper-parameters on a validation split")
    s.add_argument("--data", required=True)
    s.add_argument("--out", default="tuned.json", help="where to write the best configuration")
    s.add_argument("--trials", type=_positive_int, default=30)
    s.add_argument("--k", type=_positive_int, default=100)
    s.add_argument("--seed", type=int, default=0)

    s = add("serve", cmd_serve, "serve a model over HTTP")
    s.add_argument("model")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=_positive_int, default=1)
    from dataclasses import asdict

    from recommender.model.config import TrainConfig

    config_defaults = asdict(TrainConfig())  # train's omitted options mean the config's value
    for name, command in sub.choices.items():
        _show_defaults(command, config_defaults if name == "train" else {})
    return p


def _show_defaults(parser: argparse.ArgumentParser, fallback: dict[str, Any]) -> None:
    """Append ``(default: X)`` to the help of every option that has a default, so that
    ``--help`` shows what an omitted option means (argparse's own formatter skips options
    without a help text). ``fallback`` gives the value of options whose argparse default is
    ``None`` because another layer fills them in (``train``: ``--config``, then
    ``TrainConfig``)."""
    for action in parser._actions:
        value = fallback.get(action.dest) if action.default is None else action.default
        if (not action.option_strings or value is None or value is False
                or value == argparse.SUPPRESS or action.nargs == 0):
            continue
        shown = f"default: {value}".replace("%", "%%")
        action.help = f"{action.help} ({shown})" if action.help else shown


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 2 on bad usage, 0 on --help
        return int(e.code or 0)
    try:
        code: int = args.func(args)
        return code
    except (RecommenderError, argparse.ArgumentTypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
