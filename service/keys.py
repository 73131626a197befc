"""Keys: the key settings parsed into named keys, and the keys a request's headers present.

A key setting (``RECOMMENDER_READ_KEYS``, ``RECOMMENDER_WRITE_KEYS``,
``RECOMMENDER_METRICS_KEYS``) is a comma-separated list of keys, each ``KEY`` or ``ID:KEY`` (the
id names the key in the export log; without one the id is ``key-`` and 8 hex digits of the
key's SHA-256), several at once so they can be rotated; the admin key is
``RECOMMENDER_ADMIN_KEY`` or the older ``RECOMMENDER_API_KEY`` (id ``admin``). A request
presents a key as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. Keys are compared with
``hmac.compare_digest`` against every configured key (:class:`KeyRing`), and never logged or
echoed: a short one is warned of at start by its id or its place in the list. Which key each
route takes, and the layer that checks them, are ``service/auth.py``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence

from pydantic import SecretStr

from recommender.query.pseudonym import MIN_KEY_BYTES

API_KEY_HEADER = "X-API-Key"
#: the headers a key is read from (raw ASGI name -> as written)
KEY_HEADERS = {b"authorization": "Authorization", b"x-api-key": API_KEY_HEADER}
log = logging.getLogger("recommender.service")


def key_id(key: str) -> str:
    """The id of a key given without one: ``key-`` and 8 hex digits of its SHA-256."""
    return "key-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def key_items(text: str) -> list[tuple[str | None, str]]:
    """(id, key) of each item of a key setting, ``"KEY,ID:KEY,..."``: blanks around items and
    around each part ignored, empty items dropped, id None for a key given without one (a key
    holding ``:`` must be given with an id); the key may be empty (``crm:``)."""
    out: list[tuple[str | None, str]] = []
    for item in (i.strip() for i in text.split(",")):
        if item:
            name, sep, key = item.partition(":")
            out.append((name.strip(), key.strip()) if sep else (None, item))
    return out


class KeyRing:
    """Named keys; :meth:`match` finds the id of a presented key in constant time per key."""

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        self._keys = [(name, key.encode("utf-8")) for name, key in keys if key]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``"KEY,ID:KEY,..."`` (``key_items``)."""
        return cls([(key_id(key) if name is None else name, key)
                    for name, key in key_items(text)])

    def __bool__(self) -> bool:
        return bool(self._keys)

    def match(self, presented: str | None) -> str | None:
        """The id of the key ``presented`` is, or None. Every key is compared (no early
        exit), each with ``hmac.compare_digest``."""
        if not presented:
            return None
        given = presented.encode("utf-8", "surrogateescape")
        found = None
        for name, key in self._keys:
            if hmac.compare_digest(given, key) and found is None:
                found = name
        return found


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def admin_ring(admin_key: SecretStr | None, api_key: SecretStr | None) -> KeyRing:
    """The admin keys: ``RECOMMENDER_ADMIN_KEY`` and the older ``RECOMMENDER_API_KEY``."""
    return KeyRing([("admin", _secret(admin_key)), ("admin", _secret(api_key))])


def warn_short_admin_keys(admin_key: SecretStr | None, api_key: SecretStr | None) -> None:
    """Log a warning at start for an admin key shorter than the pseudonym key must be
    (``MIN_KEY_BYTES``), saying its length, never the key: one of a few characters ("k") was
    taken in silence. A warning, not a refusal: a trial or a test may use a short one."""
    for setting, value in (("RECOMMENDER_ADMIN_KEY", admin_key),
                           ("RECOMMENDER_API_KEY", api_key)):
        size = len(_secret(value).encode("utf-8"))
        if 0 < size < MIN_KEY_BYTES:
            log.warning("%s is %d byte(s) long: an admin key this short can be guessed; use at "
                        "least %d random bytes (e.g. the output of 'openssl rand -hex 32')",
                        setting, size, MIN_KEY_BYTES)


def warn_short_ring_keys(setting: str, kind: str, value: SecretStr | None) -> None:
    """Log a warning at start, one line each, for a key of a key setting (``setting``, e.g.
    ``RECOMMENDER_READ_KEYS``; ``kind``, e.g. ``read``) shorter than ``MIN_KEY_BYTES``, naming
    the setting and the key's id, never the key (a key given without an id by its place in
    the list: the id made of its hash would let the log's reader try every short key):
    ``crm:k`` was taken in silence where a short admin key was warned of."""
    items = key_items(_secret(value))
    for place, (name, key) in enumerate(items, 1):
        size = len(key.encode("utf-8"))
        if 0 < size < MIN_KEY_BYTES:
            which = (f"the key of id {name!r}" if name is not None
                     else f"key {place} of {len(items)} (given without an id)")
            log.warning("%s: %s is %d byte(s) long: a %s key this short can be guessed; use "
                        "at least %d random bytes (e.g. the output of 'openssl rand -hex 32')",
                        setting, which, size, kind, MIN_KEY_BYTES)


def read_ring(read_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(read_keys))


def write_ring(write_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(write_keys))


def metrics_ring(metrics_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(metrics_keys))


def presented_keys(headers: Sequence[tuple[bytes, bytes]]) -> list[str]:
    """The keys in ``X-API-Key`` and in ``Authorization: Bearer``, from raw ASGI headers."""
    keys = []
    for name, value in headers:
        lower = name.lower()
        if lower == b"x-api-key":
            keys.append(value.decode("latin-1").strip())
        elif lower == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                keys.append(token.strip())
    return [k for k in keys if k]


def bearer_key(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key in the first ``Authorization: Bearer``, from raw ASGI headers: the admin
    routes read theirs there only (``deps.require_admin``)."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return (token.strip() or None) if scheme.lower() == "bearer" else None
    return None


def presented_key(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key in ``X-API-Key``, else in ``Authorization: Bearer``, from raw ASGI headers."""
    keys = presented_keys(headers)
    return keys[0] if keys else None


def repeated_key_header(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key header (``Authorization``, ``X-API-Key``) the raw ASGI ``headers`` carry more
    than once, or None."""
    seen: set[bytes] = set()
    for name, _value in headers:
        lower = name.lower()
        if lower in KEY_HEADERS:
            if lower in seen:
                return KEY_HEADERS[lower]
            seen.add(lower)
    return None
