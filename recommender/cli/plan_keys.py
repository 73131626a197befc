"""``plan --idempotency-key KEY``: a retried ``plan`` answers the plan stored under the key.

As ``Idempotency-Key`` on ``POST /campaigns/plan`` and ``/next`` (``service/idempotency.py``),
in the same store records: the key is kept with the plan in the campaign store, in the plan's
own transaction, with the sha256 of the request (here: the planning options and what the
slate and opt-out files hold; not the output paths, nor the model folder, as the service's
digest holds no model). The same key and request again writes the stored plan's rows and
summary, said on stderr, instead of planning a second plan, which left out the first one's
pairs; the same key on another request (an HTTP one included) is refused naming its plan.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recommender.campaigns.idempotent_plans import answered_summary, stored_under
from recommender.errors import InvalidParameterError

KEY_FORM = re.compile(r"[!-~]{1,255}")  # the header's: printable ASCII, no spaces
#: the options a request is: a next wave's, a first plan's (resolved to their defaults)
REQUEST_OPTIONS = ("after", "sent_waves", "next_waves", "leave_out", "leave_out_no_effect",
                   "cap", "holdout", "waves", "seed", "engine", "cap_scope")


def key_text(text: str) -> str:
    """``--idempotency-key``'s value, as the service takes the header (argparse type)."""
    if not KEY_FORM.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected 1 to 255 printable ASCII characters without spaces (a UUID), got "
            f"{text[:40]!r}")
    return text


def add_key_option(s: argparse.ArgumentParser) -> None:
    s.add_argument("--idempotency-key", type=key_text, dest="idempotency_key", metavar="KEY",
                   help="any unique text (a UUID), kept with the plan in the store: the same "
                        "command again with the same key writes the stored plan instead of "
                        "planning a second one (as the Idempotency-Key header); the same key "
                        "with other options is refused")


def request_key(args: argparse.Namespace, slate: Sequence[Any] | None
                ) -> tuple[str, str] | None:
    """(key, sha256 of the request) when ``--idempotency-key`` was given, else None;
    refused without a campaign store, where no key can be kept."""
    key = getattr(args, "idempotency_key", None)
    if key is None:
        return None
    import os

    from recommender.cli.answer_store import given_store, no_store

    if no_store(args) or not (given_store(args) or os.environ.get("RECOMMENDER_STORE")):
        raise InvalidParameterError("--idempotency-key needs a campaign store (--store or "
                                    "RECOMMENDER_STORE; --store none is none): the key is "
                                    "kept with the plan there")
    exclude = getattr(args, "exclude", None)
    try:
        excluded = hashlib.sha256(Path(exclude).read_bytes()).hexdigest() if exclude else None
    except OSError:  # its reader says why, before anything is stored
        excluded = None
    options = {n: getattr(args, n, None) for n in REQUEST_OPTIONS}
    if options["cap_scope"] in (None, "plan"):  # as keys stored before the option hashed
        del options["cap_scope"]
    request = {"route": "recommender plan",
               "options": options,
               "films": None if slate is None else [[f.film_id, f.budget, f.value]
                                                     for f in slate],
               "exclude_sha256": excluded}
    payload = json.dumps(request, sort_keys=True, ensure_ascii=False)
    return key, hashlib.sha256(payload.encode()).hexdigest()


def stored_for(store: Any, key: tuple[str, str] | None) -> str | None:
    """The plan stored under ``key``; None when there is none; refused
    (``InvalidParameterError``) when the key was used for another request."""
    if key is None:
        return None
    found = stored_under(store, key)
    if found is None:
        return None
    plan_id, same = found
    if not same:
        raise InvalidParameterError(
            f"--idempotency-key {key[0]!r} was used for another request (plan {plan_id}); "
            "give a new key with a new request")
    return plan_id


def answer_stored(args: argparse.Namespace, store: Any, plan_id: str, key: str,
                  pseudonyms: bytes | None) -> int:
    """Write the stored plan ``plan_id`` (its rows and summary) as ``plan`` writes a new one,
    and say that it was answered again, not planned: the service's ``Idempotent-Replayed``."""
    import pyarrow as pa

    from recommender.campaigns.plan import PLAN_SCHEMA
    from recommender.cli.campaigns import write_outputs
    from recommender.cli.plan_text import show_summary

    summary = answered_summary(store, plan_id)
    rows = pa.concat_tables([PLAN_SCHEMA.empty_table(), *store.iter_rows(plan_id)])
    written = write_outputs(rows, summary, args.out, args.summary, pseudonyms, lambda: None,
                            slate=getattr(args, "slate", None))
    said = show_summary(plan_id, summary, bool(args.json))
    hidden = " (user ids pseudonymised)" if pseudonyms is not None else ""
    print(f"wrote {written:,} rows of plan {plan_id} to {args.out}{hidden}; stored in "
          f"{store.url}", file=said)
    print(f"note: plan {plan_id} was stored under --idempotency-key {key!r} (created "
          f"{summary.get('created', 'unknown')}): this is it again, as stored; nothing was "
          "planned or stored (give a new key for a new plan)", file=sys.stderr)
    store.close()
    return 0
