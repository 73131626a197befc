"""The CLI's ``rollback`` and ``info --versions``: a model folder's kept versions."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from recommender.cli.printing import print_body
from recommender.model import versions

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def add_rollback_command(add: Add) -> None:
    """Declare ``rollback`` on the parser (``add`` makes one sub-command)."""
    s = add("rollback", cmd_rollback,
            "serve a kept version of a model folder again: checked, then published as its "
            "newest version (every server serving the folder loads it at its next look)")
    s.add_argument("model", help="the model folder (as given to train --out and serve)")
    s.add_argument("--to", metavar="VERSION",
                   help="the version: its folder name under versions/, its number or its model "
                        "version (default: the one current pointed at before; see `info MODEL "
                        "--versions`)")
    s.add_argument("--json", action="store_true",
                   help="print what changed as JSON: model_folder; version folders "
                        "rolled_back_to, version (now current) and replaced_version; model "
                        "versions model_version (now) and previous_model_version (before; "
                        "also previous_version, as /admin/reload names it; null when the "
                        "version replaced does not load); replaced_version_damage (why it "
                        "does not load, else null)")


def cmd_rollback(args: argparse.Namespace) -> int:
    from recommender.serving.engine import model_folder_path

    # the folder as /health and `info --json` name it (absolute, links kept)
    done = {**versions.rollback(args.model, args.to), "model_folder": model_folder_path(args.model)}
    if args.json:
        print_body(done)
        return 0
    replaced, damage = done["replaced_version"], done.get("replaced_version_damage")
    if damage is not None:  # nothing served it: no "was", and a rollback to it is refused
        print(f"rolled back {args.model} to {done['rolled_back_to']}: now serving model "
              f"{done['model_version']} as version {done['version']} (replacing version "
              f"{replaced}, which does not load, so no server served it: {damage}); no "
              f"rollback undoes it: `recommender info {args.model} --versions` lists the "
              "versions kept")
        return 0
    print(f"rolled back {args.model} to {done['rolled_back_to']}: now serving model "
          f"{done['model_version']} (was {done['previous_model_version']}) as version "
          f"{done['version']}{f' (replacing version {replaced})' if replaced else ''}; "
          f"`recommender rollback {args.model}` undoes it")
    return 0


def print_versions(model: str, as_json: bool) -> int:
    """``info MODEL --versions``: the kept versions, oldest first, without loading the model
    (a damaged current version is when they are wanted)."""
    from recommender.serving.engine import model_folder_path

    kept = versions.listed(model)
    if as_json:
        print_body({"model_folder": model_folder_path(model),
                    "versions": [v.as_dict() for v in kept]})
        return 0
    for v in kept:
        state = ("current" if v.current else "kept") + ("" if v.whole else
                                                        ", damaged: does not load")
        print(f"{v.name}  model {v.model_version or '?'}  created {v.created or '?'}  {state}")
    return 0
