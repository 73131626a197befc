"""Pseudonymised user ids: a keyed HMAC-SHA256 of each id, so a list can leave without raw ids.

The same id under the same key always gives the same pseudonym (a campaign's lists can be
matched with each other), a different key gives unrelated ones, and without the key a
pseudonym cannot be turned back into the id nor computed from a guessed id. The key comes
from ``RECOMMENDER_PSEUDONYM_KEY`` or a key file (:func:`load_key`); it must be at least
``MIN_KEY_BYTES`` long.

HMAC has no vectorised form, so each *distinct* id is hashed once (:func:`pseudonym_table`
hashes a model's users once; rows then index it with numpy).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.ids import IdMap

ENV_KEY = "RECOMMENDER_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
PREFIX = "p-"  # a pseudonym can never be mistaken for a raw id by a person reading it


def check_key(key: bytes) -> bytes:
    """``key`` if it is long enough, else ``InvalidParameterError`` (never showing it)."""
    if len(key) < MIN_KEY_BYTES:
        raise InvalidParameterError(
            f"the pseudonym key is {len(key)} bytes long; use at least {MIN_KEY_BYTES} random "
            f"bytes (e.g. the output of 'openssl rand -hex 32')")
    return key


def load_key(key_file: str | os.PathLike[str] | None = None,
             environ: Mapping[str, str] | None = None,
             needed_by: str = "pseudonymised output") -> bytes:
    """The pseudonym key: the content of ``key_file`` (trailing newline dropped) when given,
    else ``RECOMMENDER_PSEUDONYM_KEY``; ``InvalidParameterError`` saying how to give one
    when neither is set (to ``needed_by``, what needs it), and naming where a key too short
    came from (the file or the variable: "the pseudonym key is 5 bytes long" named
    neither)."""
    if key_file is not None:
        try:
            raw = Path(key_file).read_bytes()
        except OSError as e:
            raise InvalidParameterError(f"{key_file}: cannot read the pseudonym key file "
                                        f"({e.strerror or e})") from None
        return _named(str(key_file), raw.rstrip(b"\r\n"))
    value = (os.environ if environ is None else environ).get(ENV_KEY, "")
    if not value:
        raise InvalidParameterError(
            f"{needed_by} needs a key: set {ENV_KEY} or pass --pseudonym-key-file")
    return _named(ENV_KEY, value.encode("utf-8"))


def _named(source: str, key: bytes) -> bytes:
    """``check_key(key)``, its refusal prefixed with where the key came from."""
    try:
        return check_key(key)
    except InvalidParameterError as e:
        raise InvalidParameterError(f"{source}: {e}") from None


def pseudonym(user_id: str, key: bytes) -> str:
    """The pseudonym of one id: ``p-`` and the hex HMAC-SHA256 of its UTF-8 bytes."""
    return PREFIX + hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonyms(user_ids: Iterable[str], key: bytes) -> list[str]:
    """:func:`pseudonym` of each id, in order (one HMAC per id)."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for user_id in user_ids:
        h = base.copy()
        h.update(user_id.encode("utf-8"))
        out.append(PREFIX + h.hexdigest())
    return out


def pseudonym_table(user_ids: Iterable[str], key: bytes) -> NDArray[np.object_]:
    """The pseudonyms of a model's users as an array aligned with their indices, so that
    rows of user indices are pseudonymised by one numpy take."""
    return np.array(pseudonyms(user_ids, key), dtype=object)


PageT = TypeVar("PageT")


def pseudonymize_page(page: PageT, key: bytes) -> PageT:
    """A copy of an audience page (a dataclass with ``user_ids``, e.g. ``AudiencePage``) whose
    user ids are pseudonyms; everything else is the same."""
    ids = np.asarray(page.user_ids).tolist()  # type: ignore[attr-defined]
    return dataclasses.replace(page, user_ids=np.array(pseudonyms(ids, key),  # type: ignore
                                                       dtype=np.str_))


ModelT = TypeVar("ModelT")


def pseudonymous_users(model: ModelT, key: bytes) -> ModelT:
    """A copy of ``model`` (a dataclass with a ``users`` ``IdMap``, e.g. ``Model``; every array
    shared) whose user ids are their pseudonyms, so that anything written from it (an
    audience page, a batch export) names users by pseudonym only. Indices, rankings and tie
    breaks are unchanged."""
    users: IdMap = model.users  # type: ignore[attr-defined]
    pseudonymous = IdMap(pseudonym_table(users.ids.tolist(), key))
    meta = {**getattr(model, "meta", {}), "pseudonymized": True}  # exports say so
    return dataclasses.replace(model, users=pseudonymous, meta=meta)  # type: ignore[type-var]
