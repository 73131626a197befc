"""The CLI's ``train`` (``evaluate`` and ``tune``: ``cli.evaluating``).

``evaluate`` trains the engine it scores with ``train``'s options; ``_train_config`` is the one
place those options become a ``TrainConfig``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the commands import what they need when they run
    from recommender.model.config import TrainConfig
    from recommender.model.model import Model


# options each model does not read (refused when given, or moved off their default in a
# --config): BPR samples the films a user watched, whatever their weight
UNREAD: dict[str, set[str]] = {"als": {"learning_rate"},
                               "bpr": {"alpha", "cg_steps", "weighting", "bm25_k1", "bm25_b"},
                               "lmf": {"alpha", "cg_steps"},
                               # family ease: no ALS option (the Studio's overview list)
                               "ease": {"iterations", "regularization", "alpha", "cg_steps",
                                        "learning_rate", "warm_iterations"}}


def _train_config(args: argparse.Namespace) -> TrainConfig:
    from recommender.cli.config_typed import (
        config_kind,
        did_you_mean,
        json_type,
        lay_typed_over,
        read_config,
    )
    from recommender.errors import DataError, InvalidParameterError
    from recommender.model.config import TrainConfig

    base: dict[str, Any] = {}
    if getattr(args, "config", None):
        loaded = read_config(args.config)  # a key given twice: refused, naming it
        found = loaded.get("params", loaded) if isinstance(loaded, dict) else None
        if not isinstance(found, dict):
            got = json_type(found if isinstance(loaded, dict) else loaded)
            raise DataError(args.config, f"expected {config_kind(args.config)} of training "
                                         f"options, got {got}")
        base = found
        if found.get("family") == "ease" and getattr(args, "family", None) in (None, "ease"):
            from recommender.model.tuning import als_searched_beside_ease
            base.update(als_searched_beside_ease(loaded))  # an older meta.json's tuned ALS
        known = set(TrainConfig.__dataclass_fields__)
        unknown = sorted(set(base) - known)
        if unknown:  # a misspelt option would be ignored silently
            raise DataError(args.config, f"unknown training option {unknown[0]!r}"
                                         f"{did_you_mean(unknown[0], known)}; the options "
                                         f"are: {', '.join(sorted(known))}")
        try:
            if "tiers" in base:
                base["tiers"] = [(str(n), float(p)) for n, p in base["tiers"]]
        except (TypeError, ValueError):
            raise DataError(args.config, "tiers must be a list of [name, percent] pairs, got "
                                         f"{base['tiers']!r}") from None
        fixed = base.get("fixed", [])
        if not (isinstance(fixed, list) and all(isinstance(n, str) for n in fixed)):
            # null or a number was a TypeError traceback; "alpha" read as a, h, l, p
            raise DataError(args.config, f"fixed must be a list of option names, such as "
                                         f'["alpha"], got {fixed!r}')
        try:  # the file's own values, so that an error names the file
            TrainConfig.from_dict(base).validate()
        except InvalidParameterError as e:
            raise DataError(args.config, str(e)) from None
    given = set(base)  # what --config sets is fixed: tuning leaves it as it is
    file_model = base.get("model")  # before the command line's --model replaces it
    typed = lay_typed_over(args, base)  # a --config value replaced is said, on stderr
    given |= typed
    def flags(names: list[str]) -> str:
        return ", ".join("--" + n.replace("_", "-") for n in names)

    als_only = sorted(typed & {"model", "regularization", "alpha", "iterations", "cg_steps",
                               "learning_rate"})
    if base.get("family") == "ease" and als_only:  # not silently ignored
        raise InvalidParameterError(
            f"--family ease does not read {flags(als_only)} (options of ALS): EASE has "
            "--ease-lambda, and --factors as its rank")
    model_reads_not = UNREAD.get(str(base.get("model", "als")), set())
    unread = model_reads_not & typed
    if base.get("family") != "ease" and unread:
        why = {"learning_rate": "--learning-rate is BPR's and LMF's",
               "alpha": "--alpha and --cg-steps are ALS's",
               "cg_steps": "--alpha and --cg-steps are ALS's",
               "weighting": "BPR learns from which films a user watched, not how much "
                            "(--min-rating still chooses which count)"}
        raise InvalidParameterError(
            f"--model {base.get('model', 'als')} does not read {flags(sorted(unread))}: "
            + "; ".join(dict.fromkeys(why[n] for n in sorted(unread))))
    if (base.get("family") == "ease" and "model" not in typed
            and base.get("model", "als") != "als"):  # a BPR or LMF meta.json
        raise DataError(args.config, f"family ease does not read model "
                                     f"({base['model']!r}): leave it out, or at \"als\"")
    steps = ("bpr", "lmf")  # the models that read a learning rate
    if ("model" in typed and file_model is not None and file_model != base["model"]
            and "learning_rate" in base and "learning_rate" not in typed
            and (file_model in steps) != (base["model"] in steps)):
        # a learning rate one of the two models does not read: ALS's recorded 0.05 is no
        # choice of it (it left LMF at chance), and LMF's 1.0 is nothing to ALS (refusing it
        # offered no way out: --learning-rate is refused for ALS too); the typed model's own
        # default applies
        del base["learning_rate"]
        given.discard("learning_rate")
    from_file = set(base) - typed  # what --config set (an older meta.json's params too)
    # a value the model does not read, moved off its default in the file: refused as the
    # option is (a meta.json records every option at its default, so reusing one still works)
    defaults = TrainConfig()
    ease = base.get("family") == "ease"  # EASE reads none of ALS's options (it ignored them)
    off_default = sorted(n for n in (UNREAD["ease"] if ease else model_reads_not) & from_file
                         if base[n] != getattr(defaults, n))
    if off_default:
        values = ", ".join(f"{n} ({base[n]!r})" for n in off_default)
        fix = ("; leave it out, or at its default "
               + ", ".join(f"{n} {json.dumps(getattr(defaults, n))}" for n in off_default))
        what = "family ease" if ease else f"model {base.get('model', 'als')}"
        if ("family" if ease else "model") in typed:  # the file's value fits not the choice
            raise InvalidParameterError(f"--{what} does not read {values} "
                                        f"from --config {args.config}" + fix)
        raise DataError(args.config, f"{what} does not read " + values + fix)
    # a meta.json records its model's values (ALS's regularization 30 leaves BPR's vectors
    # near 0; BPR's learning rate 0.05 leaves LMF at chance): not carried to another model
    # unasked, where they differ from that model's own (a value the file's model does not
    # read, such as ALS's recorded learning rate, is no choice of it)
    own = TrainConfig(model=str(base.get("model", "als")))
    per_model = [n for n in ("regularization", "learning_rate")
                 if n in base and n not in typed and base[n] != getattr(own, n)]
    if ("model" in typed and file_model is not None and file_model != base["model"]
            and per_model and base.get("family") != "ease"):
        raise InvalidParameterError(
            f"--model {base['model']} with --config {args.config}, a configuration for model "
            f"{file_model}: its " + " and ".join(f"{n} ({base[n]!r})" for n in per_model)
            + f" {'is' if len(per_model) == 1 else 'are'} {file_model}'s; give "
            + " and ".join(f"--{n.replace('_', '-')} (the default for {base['model']} is "
                           f"{getattr(own, n)!r})" for n in per_model)
            + ", or use a config without them")
    if given & {"model", "iterations", "cg_steps", "learning_rate", "warm_iterations"} and \
            "family" not in given:
        # an option only ALS (or BPR, LMF) reads, typed or in --config: the family stage may
        # not swap in EASE, which would ignore it (--family ease with it is refused above)
        base["family"] = "als"
        given.add("family")
    # --no-tune wins; otherwise a config's own "tune" stands (true by default)
    base["tune"] = False if getattr(args, "no_tune", False) else base.get("tune", True)
    # EASE's lambda where the family is ALS: typed, or in a hand-written config (a meta.json
    # names its family), it would be recorded as fixed and never read
    lam = "--ease-lambda" if "ease_lambda" in typed else (
        f"ease_lambda ({base['ease_lambda']!r}) in --config {args.config}"
        if "ease_lambda" in base and "family" not in base else None)
    spark = getattr(args, "engine", "local") == "spark"  # it fits ALS, untuned
    # regularization or alpha fixed: the search leaves the family at ALS (tuning.py), and the
    # lambda was recorded as fixed and never read (--iterations with it was refused)
    als_set = sorted((given | set(base.get("fixed") or ())) & {"regularization", "alpha"})
    if lam is not None and base.get("family") != "ease" and (
            base.get("family") == "als" or not base["tune"] or spark or als_set):
        untuned = ("--engine spark" if spark else "--no-tune" if getattr(args, "no_tune", False)
                   else f"the config's \"tune\": false ({args.config})")
        raise InvalidParameterError(
            f"--family als does not read {lam} (EASE's option)"
            if base.get("family") == "als" else
            f"{lam} is EASE's option, and with " + " and ".join(flags([n]) if n in typed else n
                                                     for n in als_set) + " set (ALS's) the search "
            "keeps the family ALS, which does not read it: leave one out, or add --family ease "
            "without ALS's options" if base["tune"] and not spark else
            f"{lam} is EASE's option, and without tuning ({untuned}) the family is ALS, which "
            "does not read it: " + ("leave it out (Spark fits ALS only)" if spark else
                                    "add --family ease, or tune to let the validation choose"))
    from recommender.model.config import FAMILY_TUNABLE, PRIOR_TUNABLE, TUNABLE

    # a config's own "fixed" list adds to what it and the command line set (it was replaced
    # by them: {"fixed": ["alpha"]} left alpha searched, silently)
    listed = set(base.get("fixed") or ())
    base["fixed"] = sorted((given | listed) & {*TUNABLE, *FAMILY_TUNABLE, *PRIOR_TUNABLE})
    # BM25's k1 and b off their defaults under another weighting no search changes (ignored)
    k1b = [f"{n} ({base[n]!r})" for n in ("bm25_k1", "bm25_b")
           if n in from_file and base[n] != getattr(defaults, n)]
    if k1b and (scheme := base.get("weighting", "binary")) != "bm25" and not (
            base["tune"] and not spark and base.get("family") != "ease"
            and "weighting" not in base["fixed"]):
        raise InvalidParameterError(f"weighting {scheme} does not read {', '.join(k1b)} from "
                                    f"--config {args.config} (bm25's): leave them out, or use bm25")
    return TrainConfig.from_dict(base).validate()


def cmd_train(args: argparse.Namespace) -> int:
    from recommender.cli.printing import warnings_said
    from recommender.cli.reading import load_said
    from recommender.cli.unread import warn_unread_cinemas, warn_unread_columns
    from recommender.io.stdin import STDIN_NAME, is_stdin, spooled
    from recommender.model import artifact, layout
    from recommender.model.training import train

    config = _train_config(args)
    engine = getattr(args, "engine", "local")
    t0 = time.perf_counter()
    stdin = is_stdin(args.data)  # --data -: standard input, copied once to a file to be read
    blanks = getattr(args, "blank_ratings", "refuse")
    local_only = [(flag, why) for flag, why, given in (
        ("--events", "", getattr(args, "events", None)),
        (f"--blank-ratings {blanks}", " (leave --engine spark out, or fill the blank ratings "
                                      "in)", blanks != "refuse"),
        (f"--family {config.family}", " (Spark fits ALS)", config.family != "als")) if given]
    if engine == "spark" and local_only:
        from recommender.errors import InvalidParameterError

        flag, why = local_only[0]
        raise InvalidParameterError(f"{flag} works with the local engine only{why}")
    if engine == "spark":  # a cluster's master cannot read standard input's copy: said first
        from recommender.spark.stdin_data import refuse_stdin_master

        refuse_stdin_master(str(args.data), args.spark_master)
    from recommender.io.places import CINEMAS_FILE, cinemas_beside

    # what would fail after the training run fails before it: the --out folder, the store
    artifact.check_destination(args.out)
    if getattr(args, "events", None):
        from recommender.cli.stores import _store

        _store(argparse.Namespace(store=args.events), create=False).close()  # never created
    # a bad cinemas.csv fails before the training run; standard input has nothing beside it
    # (the working folder's cinemas.csv is not the log's)
    cinemas = None if stdin else cinemas_beside(args.data)
    if not stdin:
        warn_unread_cinemas(args.data)  # cinemas.parquet: no table, without a word
    if engine == "spark":
        from recommender.spark.training import train_spark

        # --data -: copied once, for Spark (a local master) to read, then removed
        with spooled(args.data) as read:
            with warnings_said():  # the readers' warnings (users.parquet) as load_said's
                model = train_spark(str(read) if stdin else args.data, config,
                                    films=args.films, users=args.users,
                                    master=args.spark_master)
            data = model.meta["data"]  # Spark reads the same columns
            warn_unread_columns(str(read) if stdin else args.data,
                                times=not data.get("has_timestamps"),
                                ratings=not data.get("has_ratings"))
        if stdin:  # read: the warnings after the fit name it
            args.data = STDIN_NAME
    else:
        with spooled(args.data) as data:  # errors name standard input's copy <stdin>
            interactions = load_said(data, args.films, args.users, None, blanks,
                                     config.min_rating)  # a large log: said
            warn_unread_columns(str(data), times=interactions.timestamp is None,
                                ratings=interactions.rating is None)
        if stdin:  # read: the warnings after the fit name it, and find no folder of it
            args.data = STDIN_NAME
        events = None
        if getattr(args, "events", None):  # the campaign store's events (closing the loop)
            from recommender.campaigns.training_events import with_stored_events

            interactions, events = with_stored_events(interactions, args.events,
                                                      config.min_rating)
            _note_erased(events)
        model = train(interactions, config)
        if events is not None:
            model.meta["events"] = events  # the overlay starts after events["through_seq"]
    from recommender.cli.interrupts import _terminable

    before = layout.resolve(args.out).resolve()  # what is served until the swap
    # SIGTERM as Ctrl-C while saving (main sets it for the whole command; kept for callers)
    with _terminable():
        try:  # the model carries its cinema table (distribution)
            with warnings_said():  # a flat model not kept to roll back to (model.flat)
                out = artifact.save(model, args.out,
                                    extra={CINEMAS_FILE: cinemas} if cinemas else None)
            _report_trained(args, model, config, out, time.perf_counter() - t0)
        except BaseException:  # a Ctrl-C or SIGTERM (or an error) once the version is current
            _say_if_live(args.out, model.version, before)
            raise
    return 0


def _say_if_live(out: str, version: str, before: Path) -> None:
    """Say (stderr) that model ``version`` is the current version of the folder ``out``
    when ``artifact.save`` had swapped it in before the command was stopped: a stop after
    the swap does not undo it (exit 130 and "interrupted" alone read as nothing changed)."""
    from recommender.model import layout

    try:
        now = layout.resolve(out).resolve()
        meta = json.loads((now / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if now != before and isinstance(meta, dict) and meta.get("model_version") == version:
        print(f"note: model version {version} had been made current in {out} when this "
              "stopped: it is live (what serves the folder now) and was not undone",
              file=sys.stderr)


def _report_trained(args: argparse.Namespace, model: Model, config: TrainConfig, out: Path,
                    seconds: float) -> None:
    """What ``train`` prints once the model is saved: tuning, size, warnings."""
    from recommender.cli.input_warnings import warn_of_inputs
    from recommender.io.text import plural
    from recommender.model import artifact

    d = model.meta["data"]
    size = artifact.artifact_size(out)
    tuned = model.meta.get("tuning", {})
    if tuned.get("status") == "searched":
        from recommender.model.config import TrainConfig

        config = TrainConfig.from_dict(model.meta["params"])
        chosen = tuned["chosen"]
        ease = chosen.get("family") == "ease"  # EASE reads neither regularization nor alpha
        shown = {n: f"{n} {v}" for n, v in chosen.items()
                 if not (ease and n in ("regularization", "alpha"))}
        # what no trial varied (fixed; weighting under --family ease) is said apart, not chosen
        varied = {*tuned.get("searched", {}), "family", "ease_lambda", "popularity"} - set(
            tuned.get("fixed", []))
        kept = [shown.pop(n) for n in list(shown) if n not in varied]
        print(f"tuning: {len(tuned['trials'])} trials in {tuned['seconds']:.1f} s chose "
              + (", ".join(shown.values()) or "nothing")
              + f" (validation objective {tuned['validation']['chosen']['objective']}, "
              f"starting point {tuned['validation']['start']['objective']}, on train's own "
              "validation split of its training part: not tune's figures"
              # what the number is, as meta.json records it (tune's line says its own)
              + (f"; the objective: {tuned['objective']}" if tuned.get("objective") else "")
              + ")"
              + (f"; not searched: {', '.join(kept)}" if kept else ""))
        for stage in ("family", "popularity"):
            found = tuned.get(stage)
            if isinstance(found, dict) and "reason" in found:
                print(f"{stage}: {found.get('chosen')} ({found['reason']})")
        for note in tuned.get("notes", []):  # meta.json's tuning notes (a half-constant objective)
            print(f"warning: tuning {note}", file=sys.stderr)
    elif str(tuned.get("status", "")).startswith("not run") and config.tune:
        _say_untuned(config, str(tuned["status"]))
    rank = int(model.user_factors.shape[1])  # EASE: at most the directions the data has
    what = (f"EASE (rank {rank}, lambda {config.ease_lambda:g}" if config.family == "ease"
            else f"{config.model.upper()} ({config.factors} factors, "
            f"{plural(config.iterations, 'iteration')}")
    fitted = (f" ({d['interactions_fitted']:,} fitted: ratings below --min-rating "
              f"{config.min_rating:g} are left out of the fit)"
              if "interactions_fitted" in d and config.min_rating is not None else "")
    prior = (f" with a popularity prior (weight {config.popularity:g})"
             if config.popularity > 0 else "")
    print(f"trained {what}, {config.weighting} weighting){prior} on {d['users']:,} users x "
          f"{d['films']:,} films x {d['interactions']:,} interactions{fitted} in "
          f"{seconds:.1f} s")
    if dup := d.get("duplicate_rows_merged"):  # so a wc -l or len(df) of the log adds up
        # the columns the log has only (FilmTrust's has no timestamp: "the latest rating")
        held = " and ".join([*(["the latest rating" if d.get("has_timestamps")
                                else "the last rating in file order"]
                               if d.get("has_ratings") else []),
                             *(["the first timestamp"] if d.get("has_timestamps") else [])])
        print(f"log: {d['rows_read']:,} rows read, {dup:,} duplicate (user, film) "
              f"row{'s' * (dup != 1)} merged (weights summed, each row 1 without a weight "
              f"column{f'; {held} kept' if held else ''})")
    if model.meta.get("refit"):
        print(f"final fit: {model.meta['refit']}")
    events = model.meta.get("events")
    if isinstance(events, dict):  # --events: what of the store the model now holds
        print(f"campaign store: {int(events['events']):,} events through sequence "
              f"{events['through_seq']} folded in from {events['store']} (served with that "
              "store, the model skips them)")
    warn_of_inputs(args, model)  # the log, catalog and users files: what may be amiss
    unliked = model.meta.get("films_without_liked")
    if isinstance(unliked, dict):
        n = int(unliked["count"])
        rated = ("" if config.min_rating is None
                 else f" rated at or above min_rating {config.min_rating:g}")
        print(f"warning: {n:,} film{'s' if n != 1 else ''} without an interaction{rated} in "
              f"the fit: {unliked['note']}", file=sys.stderr)
    from recommender.model import calibration, catalog_only
    from recommender.model.min_cell import MIN_CELL_ENV
    from recommender.model.training import NOTHING_BEFORE_HOLDOUT

    if left := catalog_only.count(model.meta):
        print(f"note: {left:,} film{'s' if left != 1 else ''} of the catalog without an "
              "interaction in the log, left out of the model (no audience or viewers; a "
              "cold-start audience ranks one from comparable films or genres; meta.json's "
              f"{catalog_only.KEY} lists them)", file=sys.stderr)
    if model.meta.get("refit") == NOTHING_BEFORE_HOLDOUT:
        print("warning: no tier conversion was measured: the calibration holdout (--holdout "
              f"{config.holdout:g}) left nothing to fit before it (no interaction rated at or "
              "above --min-rating); rings and plans give p 0", file=sys.stderr)
    elif model.calibration and not calibration.measured(model.calibration):
        # the holdout drew interactions (a log too small to draw any says "final fit: none: no
        # calibration holdout"), but no candidate the fit before it ranked converted in it
        print("warning: no tier conversion was measured: no user known before the calibration "
              f"holdout (--holdout {config.holdout:g}) watched one of "
              "the films ranked for them in it (its viewers are users or films new to the fit); "
              "rings and plans give p 0", file=sys.stderr)
    elif calibration.random_holdout(calibration.horizon(model.calibration)):
        print("warning: the log has no timestamps (or all are equal), so the calibration "
              f"holdout was a random share: tier conversions and plans' probabilities are "
              f"{calibration.RANDOM_HOLDOUT_NOTE}", file=sys.stderr)
    for said in ("learned_nothing", "collapsed"):
        small = model.meta.get(said)
        if isinstance(small, dict):
            print(f"warning: {small['note']}", file=sys.stderr)
    segs = model.meta.get("segments")
    if isinstance(segs, dict):
        floor = int(segs.get("min_size", 1))
        small = (f", and merges a segment of fewer than {floor:,} users into the nearest (the "
                 f"minimum cell size, ${MIN_CELL_ENV}: a segment's size, films and label "
                 "describe its members)" if floor > 1 else "")
        found = int(segs["found"])
        print(f"note: {found:,} segment{'s' * (found != 1)}, not the {segs['asked']:,} asked "
              "for: k-means "
              "finds at most one per distinct taste direction (users whose vectors point the "
              f"same way share one), drops the empty ones{small}", file=sys.stderr)
    print(f"model {model.version} written to {out} ({size / 1e6:.1f} MB)")


def _say_untuned(config: TrainConfig, status: str) -> None:
    """Say that the validation search ``--help`` promises for the options not given did not
    run (``status``: meta.json's reason: BPR or LMF, the Spark engine, a log too small to
    validate on), and the values they took instead, the ``--no-tune`` ones: without a word,
    such a model went out on defaults its maker read as chosen."""
    from recommender.model.config import PRIOR_TUNABLE, TUNABLE

    # EASE reads none of ALS's options: "regularization 30, alpha 3" were listed as taken
    unread = UNREAD.get(config.model, set()) if config.family == "als" else UNREAD["ease"]
    left = [n for n in (*TUNABLE, *PRIOR_TUNABLE) if n not in config.fixed and n not in unread]
    took = ", ".join(f"{n} {getattr(config, n):g}" if isinstance(getattr(config, n), float)
                     else f"{n} {getattr(config, n)}" for n in left)
    print(f"tuning: {status}" + (f"; the options not given took their --no-tune values: {took}"
                                 if left else ""))


def _note_erased(events: dict[str, Any]) -> None:
    """The ``note:`` of the erased users' rows ``train --events`` left out (README "Erasure")."""
    gone = events.get("erased")
    if gone and (gone["log_rows"] or gone["store_events_deleted"]):
        print(f"note: users erased from the campaign store (`recommender forget`) were left out: "
              f"{gone['log_rows']:,} row(s) of the log, and {gone['store_events_deleted']:,} "
              "event(s) sent for them since their erasure deleted from the store; remove them "
              "from your own log files too", file=sys.stderr)
