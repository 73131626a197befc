"""The ``recommender`` console script: argument parsing and printing only.

Every command calls the library; domain errors become one line on stderr and exit code 2.
The commands live in ``commands`` (data, training, audiences, serving) and ``answers`` (the
HTTP service's other answers: search, summary, similar films, lookalikes, cold start,
segments).
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from recommender.cli.answer_store import STORE_HELP
from recommender.cli.answers import add_answer_commands
from recommender.cli.campaigns import add_campaign_commands
from recommender.cli.checks import decimal, refuse_undecodable
from recommender.cli.commands import (
    _int_at_least,
    _offset,
    _positive_int,
    add_pseudonym_options,
    add_slice_options,
    cmd_audience,
    cmd_audiences,
    cmd_demo_data,
    cmd_download,
    cmd_serve,
)
from recommender.cli.distribution import add_distribution_command
from recommender.cli.environment import check_environment
from recommender.cli.evaluating import cmd_evaluate, cmd_tune
from recommender.cli.events import add_event_commands
from recommender.cli.forget import add_forget_command
from recommender.cli.help_texts import EPILOGS, TOP, describe
from recommender.cli.id_column import add_id_column
from recommender.cli.interrupts import (
    HeldInterrupts,  # noqa: F401 (re-exported: store_copy and campaigns import it from here)
    _on_sigterm,  # noqa: F401 (re-exported: a test compares the handler set)
    _say_placed,
    _terminable,
)
from recommender.cli.printing import folders_created
from recommender.cli.recommend import cmd_recommend
from recommender.cli.rollback import add_rollback_command
from recommender.cli.store_failure import failed_store
from recommender.cli.store_failure import store_failure as _store_failure
from recommender.cli.stores import REMOVED, command_name
from recommender.cli.training import cmd_train
from recommender.cli.version import VersionAction
from recommender.errors import InvalidParameterError, RecommenderError, StoreLockedError
from recommender.errors import Terminated as Terminated  # raised by SIGTERM (``_terminable``)
from recommender.io.atomic import CREATED, PLACED
from recommender.io.id_columns import blank_id
from recommender.model.config import FAMILY_TUNABLE, PRIOR_TUNABLE, SEED_MAX, TUNABLE
from recommender.query.limits import MAX_WORKERS

EXIT_BAD_INPUT = 2
# a seed of train, evaluate, tune and demo-data: numpy's generators take none below 0 (-5 was a
# traceback, exit 1, after the training run), Spark's ALS none past a Java long
_seed = _int_at_least(0, SEED_MAX)
SPARK_MASTER = "local[*]"  # --spark-master's default (a local Spark session)


# ---------------------------------------------------------------- parser


def add_training_options(s: argparse.ArgumentParser, seed: bool = True,
                         segments: bool = True) -> None:
    """The options that set how a model is trained (``train``; ``evaluate`` trains the
    engine it scores with them, its own ``--seed`` seeding the split and the fit, and without
    ``--segments``: segments move no recall it reports)."""
    s.add_argument("--config")  # its help: help_texts (what a typed option does to it)
    s.add_argument("--model", choices=["als", "bpr", "lmf"])
    s.add_argument("--family", choices=["als", "ease"],
                   help="model family: als (the --model factorisation) or ease (factorised "
                        "EASE at rank --factors)")
    s.add_argument("--ease-lambda", type=decimal, dest="ease_lambda",
                   help="EASE regularisation (family ease)")
    s.add_argument("--popularity", type=decimal,
                   help="weight of the popularity prior in recommendations (0: none)")
    s.add_argument("--factors", type=_positive_int)
    s.add_argument("--iterations", type=_positive_int)
    from recommender.model.config import MODEL_REGULARIZATION

    per_model = "; ".join(f"{v:g} for {m.upper()}" for m, v in MODEL_REGULARIZATION.items())
    s.add_argument("--regularization", type=decimal,
                   help=f"L2 regularization (default: chosen on a validation split for ALS; "
                        f"with --no-tune {per_model}: BPR's and LMF's are implicit's own)")
    s.add_argument("--alpha", type=decimal)
    s.add_argument("--cg-steps", type=_positive_int, dest="cg_steps",
                   help="conjugate-gradient steps per ALS solve (1-32; local engine only)")
    s.add_argument("--weighting", choices=["binary", "rating", "log", "bm25"])
    s.add_argument("--min-rating", type=decimal, dest="min_rating",
                   help="keep ratings below it out of the fit only: a film rated low is still "
                        "a film watched, never in its viewer's audience (default: none, every "
                        "rating fitted)")
    from recommender.model.config import FRESH_REFIT_INTERACTIONS, MODEL_LEARNING_RATE

    rates = "; ".join(f"{v:g} for {m.upper()}" for m, v in MODEL_LEARNING_RATE.items()
                      if m != "als")
    s.add_argument("--learning-rate", type=decimal, dest="learning_rate",
                   help=f"BPR's and LMF's step size (default {rates}; ALS does not read it)")
    if seed:
        s.add_argument("--seed", type=_seed)
    if segments:
        s.add_argument("--segments", type=_positive_int, help="number of audience segments")
    s.add_argument("--holdout", type=decimal, help=(
        "share of interactions held out to measure tier conversion" if segments else
        "share of the training part held out to calibrate tier conversion, as train holds it "
        "out, and kept from the search (evaluate reports no tier conversion; with --no-tune on "
        f"up to {FRESH_REFIT_INTERACTIONS:,} interactions the final fit is made afresh on all "
        "of them, so the share changes no figure reported)"))
    s.add_argument("--no-tune", action="store_true", dest="no_tune",
                   help="train the given parameters as they are; by default regularization, "
                        "alpha, weighting, factors, the family and the popularity weight not "
                        "given here or in --config are chosen on a validation split of the "
                        "training part (local engine only)")


def add_data_options(s: argparse.ArgumentParser, floor: bool = True) -> None:
    """``--data`` (a path, or ``-``: standard input) and ``--blank-ratings``: how ``train``,
    ``evaluate`` and ``tune`` read their log (``cli.reading.load_said``); ``floor``: the
    command takes ``--min-rating``, the least rating an unrated view is given."""
    s.add_argument("--data", required=True, help="interactions file or dataset folder, or - "
                                                 "for standard input (a CSV or TSV log with a "
                                                 "header, plain or gzipped, or Parquet)")
    from recommender.io.blank_ratings import BLANK_RATINGS

    s.add_argument("--blank-ratings", choices=BLANK_RATINGS, default="refuse",
                   help="a rating column's blank cells: refuse the log (default, naming their "
                        "lines), drop those rows, or keep them as views (implicit: an unrated "
                        "pair is rated the log's median rating"
                        + (", at least --min-rating)" if floor else ")"))


# options whose empty value means something: --with '' asks for no extra column (HTTP with=)
EMPTY_MEANS_NONE = {"with_"}


class _Once(argparse._StoreAction):
    """argparse's ``store``, refusing an option given twice: the last value would silently
    replace the first (``--exclude A --exclude B`` contacted A's opted-out users); and an
    option given an empty value (``--exclude "$OPTOUTS"`` with the variable unset), which read
    as not given: the opt-outs were planned, ``--store ''`` read $RECOMMENDER_STORE, ``train
    --events ''`` trained without the events, ``--summary ''`` wrote no summary, all without
    a word."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        given: set[str] = namespace.__dict__.setdefault("_given_once", set())
        names = "/".join(self.option_strings)
        if self.dest in given and self.option_strings:
            parser.error(f"argument {names}: given twice; give it once (only the last value "
                         "would count)")
        if (self.option_strings and isinstance(values, str) and blank_id(values)
                and self.dest not in EMPTY_MEANS_NONE):
            parser.error(f"argument {names}: the value is empty; give one" + (
                " (it is required)" if self.required else ", or leave the option out"))
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


class _Parser(argparse.ArgumentParser):
    """The CLI's parser: an option that takes one value may be given once (``_Once``), and
    only by its whole name (argparse's prefixes read ``--inc`` as ``--include-seen``, and a
    later option starting the same would change what a script's prefix means); its
    sub-command parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.register("action", None, _Once)
        self.register("action", "store", _Once)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """argparse's, but a command that does not know an option says so with its own usage
        (``recommend --pseudonymize`` showed the top level's "recommender [-h] COMMAND"; an
        option of its own before a sub-command's action, ``events --json status``, too: a
        command's action has already said its own, so what is left is this command's)."""
        parsed, extra = super().parse_known_args(args, namespace)
        if extra:
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="recommender", **TOP,
                description="Film audience engine: who is the audience for this film?")
    p.add_argument("--version", action=VersionAction,
                   help="print the package version, and the campaign store schema and model "
                        "folder format this build reads and writes, and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_, **EPILOGS.get(name, {}))
        sp.set_defaults(func=fn)
        return sp

    s = add("demo-data", cmd_demo_data, "write the synthetic demo dataset to OUT_DIR")
    s.add_argument("out_dir")
    s.add_argument("--seed", type=_seed, default=7)
    s.add_argument("--users", type=_positive_int, default=3000)
    s.add_argument("--films", type=_positive_int, default=400)
    s.add_argument("--interactions", type=_positive_int, default=None,
                   help="distinct user-film pairs (default: 100,000; at another size the "
                        "demo's density, within what the size allows)")

    s = add("download", cmd_download, "download and verify a public dataset (needs internet)")
    s.add_argument("name", help="ml-100k, ml-1m, ml-latest-small or movietweetings")
    s.add_argument("dest")

    s = add("train", cmd_train, "train a model on an interactions file or dataset folder")
    add_data_options(s)
    s.add_argument("--events", metavar="STORE_URL",
                   help="also train on the events of this campaign store (local engine)")
    s.add_argument("--out", required=True, help="model folder to write")
    s.add_argument("--films", help="extra film catalog CSV or Parquet (film_id,title,...), or "
                                   "MovieLens' own u.item or movies.dat, known by the name")
    s.add_argument("--users", help="extra user attributes CSV or Parquet (user_id,...), or "
                                   "MovieLens' own u.user or users.dat, known by the name")
    add_training_options(s)
    s.add_argument("--engine", choices=["local", "spark"], default="local")
    s.add_argument("--spark-master", help="Spark master for --engine spark (default "
                                          f"{SPARK_MASTER})")

    s = add("audience", cmd_audience, "print a film's ranked audience")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("film_id")
    s.add_argument("--k", "-k", type=_positive_int, default=100)
    s.add_argument("--offset", type=_offset, default=0)
    output = s.add_mutually_exclusive_group()  # one output format: none is ignored
    output.add_argument("--json", action="store_true",
                        help="print the HTTP endpoint's JSON body")
    s.add_argument("--include-seen", action="store_true",
                   help="keep users who already watched the film")
    add_slice_options(s)
    add_pseudonym_options(s)
    output.add_argument("--csv", action="store_true",
                        help="print the HTTP audience.csv download (the same text as "
                             "`audiences`)")

    s = add("audiences", cmd_audiences, "export the audiences of many films")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--films", help="file with one film id per line, or a CSV export whose "
                                   "header names its id column")
    g.add_argument("--all", action="store_true", help="every film in the model")
    add_id_column(s, "--films")
    s.add_argument("--k", "-k", type=_positive_int, default=100)
    s.add_argument("--out", required=True, help="PATH.csv or PATH.parquet")
    s.add_argument("--include-seen", action="store_true",
                   help="keep users who already watched each film")
    add_slice_options(s, export=True)
    add_pseudonym_options(s)
    s.add_argument("--engine", choices=["local", "spark"], default="local")
    s.add_argument("--spark-master", help="Spark master for --engine spark (default "
                                          f"{SPARK_MASTER})")

    s = add("recommend", cmd_recommend, "recommend films to users")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--user", help="one user id")
    g.add_argument("--users", help="file with one user id per line, or a CSV export whose "
                                   "header names its id column")
    g.add_argument("--all", action="store_true", help="every user in the model")
    g.add_argument("--watched", metavar="FILE",
                   help="a viewer the model does not know: file with the films they watched, "
                        "one id per line (unknown ids skipped and named)")
    add_id_column(s, "--users or --watched")
    s.add_argument("--k", "-k", type=_positive_int, default=10)
    s.add_argument("--include-seen", action="store_true",
                   help="keep the films a user already watched (?exclude_seen=false)")
    output = s.add_mutually_exclusive_group()  # a file or the JSON body: neither is ignored
    output.add_argument("--out", help="PATH.csv or PATH.parquet")
    output.add_argument("--json", action="store_true",
                        help="print the HTTP endpoint's JSON body (one --user, or "
                             "--watched FILE)")

    s = add("evaluate", cmd_evaluate, "evaluate the engine and baselines on a dataset")
    add_data_options(s)
    s.add_argument("--protocol", choices=["random", "time", "user"], default="random")
    s.add_argument("--k", "-k", type=_positive_int, default=100)
    s.add_argument("--json", dest="json_path", nargs="?", const="-", metavar="PATH",
                   help="write the report as JSON to PATH; alone (or -): only the JSON, on stdout")
    s.add_argument("--seed", type=_seed, default=0)
    add_training_options(s, seed=False, segments=False)

    s = add("tune", cmd_tune, "search hyper-parameters on a validation split")
    add_data_options(s, floor=False)
    s.add_argument("--out", default="tuned.json", help="where to write the best configuration")
    s.add_argument("--trials", type=_positive_int, default=30)
    s.add_argument("--k", "-k", type=_positive_int, default=100)
    s.add_argument("--seed", type=_seed, default=0)

    add_answer_commands(add)
    add_distribution_command(add)
    add_campaign_commands(add)
    add_event_commands(add)
    add_rollback_command(add)
    add_forget_command(add)

    s = add("serve", cmd_serve, "serve a model over HTTP")
    s.add_argument("model")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000,
                   help="port to listen on; 0: one the system chooses (the Studio's and /docs' "
                        "addresses said at start name it)")
    s.add_argument("--workers", type=_int_at_least(1, MAX_WORKERS), default=1,
                   help=f"worker processes, each with the model loaded (at most {MAX_WORKERS})")
    from dataclasses import asdict

    from recommender.model.config import TrainConfig

    config_defaults = asdict(TrainConfig())  # train's omitted options mean the config's value
    for per_model in ("regularization", "learning_rate"):  # per model: their help says so
        del config_defaults[per_model]
    describe(sub.choices)  # what --k, --seed, a positional model... mean, where not said
    for name, command in sub.choices.items():
        _show_defaults(command, config_defaults if name in ("train", "evaluate") else {},
                       tuned=TUNED_OPTIONS if name in ("train", "evaluate") else ())
    return p


# options the search inside ``train`` chooses when they are not given: their TrainConfig value
# is what --no-tune uses, not what an omitted option means (the demo's --help said
# "weighting default: binary, popularity default: 0.0" over a model tuned to rating and 3)
TUNED_OPTIONS = (*TUNABLE, *FAMILY_TUNABLE, *PRIOR_TUNABLE)


def _show_defaults(parser: argparse.ArgumentParser, fallback: dict[str, Any],
                   tuned: tuple[str, ...] = ()) -> None:
    """Append ``(default: X)`` to the help of every option that has a default, so that
    ``--help`` shows what an omitted option means (argparse's own formatter skips options
    without a help text). ``fallback`` gives the value of options whose argparse default is
    ``None`` because another layer fills them in (``train``: ``--config``, then
    ``TrainConfig``)."""
    # the search covers ALS (and EASE) on the local engine only: elsewhere, --no-tune's values
    spark = any("--engine" in a.option_strings for a in parser._actions)
    unsearched = f" or where no search runs (--model bpr or lmf{', --engine spark' * spark})"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):  # `events import`, `campaign list`
            for child in action.choices.values():
                _show_defaults(child, {})
            continue
        value = fallback.get(action.dest) if action.default is None else action.default
        if (not action.option_strings or value is None or value is False
                or value == argparse.SUPPRESS or action.nargs == 0):
            continue
        shown = (f"default: chosen on a validation split; {value} with --no-tune{unsearched}"
                 if action.dest in tuned else f"default: {value}").replace("%", "%%")
        action.help = f"{action.help} ({shown})" if action.help else shown


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:  # argparse: 2 on bad usage, 0 on --help
        return int(e.code or 0)
    except KeyboardInterrupt:  # building the parser imports more (the model's options)
        print("interrupted", file=sys.stderr)
        return 130
    placed, created, removed = len(PLACED), len(CREATED), len(REMOVED)
    try:
        refuse_undecodable(args)  # text arguments (ids, a title, names) are UTF-8
        check_environment(args)  # RECOMMENDER_PROGRESS misspelt...: said before any work
        if getattr(args, "spark_master", None) is not None and \
                getattr(args, "engine", None) != "spark":
            raise InvalidParameterError("--spark-master applies with --engine spark only")
        if hasattr(args, "spark_master") and args.spark_master is None:
            args.spark_master = SPARK_MASTER
        # around Spark too: a session started for the command takes SIGTERM as it takes
        # Ctrl-C (``spark.session.session_scope``: raised here inside py4j's socket read, it
        # left the JVM writing and the session's stop() failing); Python's own SIGTERM ended
        # the command at once, before and after the session as well (a plan's new store
        # stayed behind, empty)
        with _terminable():
            code: int = args.func(args)
        folders_created(created)
        return code
    except (RecommenderError, argparse.ArgumentTypeError) as e:
        # a lock held past the wait (PostgreSQL's plans lock): said as SQLite's locked store
        locked = _store_failure(e, failed_store(args), command_name(args),
                                removed=len(REMOVED) > removed) \
            if isinstance(e, StoreLockedError) else None
        print(f"error: {locked or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say_placed(placed)
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated:
        _say_placed(placed)
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:
        return 0
    except OSError as e:  # the machine, not the input (a full disk): one sentence, no traceback
        what = "no space left on the device" if e.errno == errno.ENOSPC else (e.strerror or str(e))
        if e.filename:
            print(f"error: {what} ({e.filename}); no output was left half-written (files are "
                  "written under a temporary name and renamed only once complete)",
                  file=sys.stderr)
        elif isinstance(e, ConnectionError):  # a socket (Spark's JVM), not the output
            print(f"error: {what} (a network connection this command opened, such as Spark's "
                  "to its JVM, not the output)", file=sys.stderr)
        else:  # standard output, or a stream without a name
            print(f"error: {what} (writing the output)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as e:  # the campaign store failing mid-command: one line, no traceback
        reason = _store_failure(e, failed_store(args), command_name(args),
                                removed=len(REMOVED) > removed)
        if reason is None:
            raise
        print(f"error: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # spark-submit's "$CLI": main of the one imported copy (its Terminated)
    raise SystemExit(__import__("recommender.cli", fromlist=["main"]).main())
