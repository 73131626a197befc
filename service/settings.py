"""Service settings, read from environment variables prefixed ``RECOMMENDER_``.

``RECOMMENDER_MODEL_PATH`` (the model folder), ``RECOMMENDER_API_KEY`` (when set,
``/admin/*`` needs ``Authorization: Bearer <key>``), ``RECOMMENDER_MAX_K`` (largest page),
and the serving knobs below.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from recommender.distribution.slate_size import DEFAULT_MAX_SLATE_CELLS
from recommender.errors import InvalidParameterError
from recommender.io.env_names import misspelt as env_misspelt
from recommender.model import layout
from recommender.query.audience import MAX_K
from recommender.query.limits import MAX_COMPARABLE_FILMS
from recommender.query.page_size import SERVED_MAX_K, SERVED_MAX_SEARCH_LIMIT
from recommender.query.privacy import DEFAULT_MIN_CELL
from service import cors
from service.auth import key_items
from service.server_logs import LOG_USER_IDS_SAID

#: key ids a key setting may not give: each names another caller (a caller without a key,
#: the admin key, the command line's event writer)
RESERVED_IDS = {"": "no key", "anonymous": "a caller without a key", "admin": "the admin key"}
#: the longest wait between two looks at the model folder (a day): a longer one (1e12) stopped
#: the watcher thread with an OverflowError, leaving workers that never follow a new version
MAX_WATCH_INTERVAL = 86_400.0


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's error never repeats its value (keys)
    # allow_inf_nan: "inf" passed every lower bound, then RECOMMENDER_CACHE_MB=inf stopped the
    # start with a traceback (int(inf)) and RECOMMENDER_WATCH_INTERVAL=inf killed the watcher
    model_config = SettingsConfigDict(env_prefix="RECOMMENDER_", protected_namespaces=(),
                                      extra="ignore", hide_input_in_errors=True,
                                      allow_inf_nan=False)

    model_path: str | None = Field(default=None, description="model folder to serve")
    api_key: SecretStr | None = Field(
        default=None, description="when set, admin endpoints need 'Authorization: Bearer <key>'")
    # README "Security"; service/auth.py reads these
    admin_key: SecretStr | None = Field(
        default=None, description="admin key: without it (or api_key) /admin/* answers 403")
    allowed_hosts: str = Field(
        default="", description="comma-separated Host names the server answers (400 to "
                                "others); blank or '*': any. `recommender serve` on a loopback "
                                "address sets localhost, 127.0.0.1 and ::1 when it is unset "
                                "(service/hosts.py: DNS rebinding)")
    cors_origins: str = Field(
        default="", description="comma-separated origins (scheme://host[:port]) whose web "
                                "pages may call the API from a browser; '*': any (needs read "
                                "or write keys); blank: none (the Studio and the docs are "
                                "this server's own pages; service/cors.py)")
    read_keys: SecretStr | None = Field(
        default=None, description="comma-separated read keys, each KEY or ID:KEY; when set, "
                                  "every data endpoint needs one (X-API-Key or Bearer)")
    write_keys: SecretStr | None = Field(
        default=None, description="comma-separated write keys, each KEY or ID:KEY, for the "
                                  "endpoints that write to the campaign store (events, plans, "
                                  "next waves); once any read or write key is set, those need a "
                                  "write key or the admin key")
    metrics_keys: SecretStr | None = Field(
        default=None, description="comma-separated metrics keys, each KEY or ID:KEY; when set, "
                                  "/metrics needs one (or the admin key): its counts and the "
                                  "served model's version and size are no one else's")
    key_failures: int = Field(
        default=20, ge=0, description="requests with a wrong key (401) one client address may "
                                      "make within key_failure_window seconds; past it, its "
                                      "requests carrying a key are 429 with Retry-After, per "
                                      "worker (service/key_throttle.py); 0: no limit")
    key_failure_window: float = Field(
        default=60.0, gt=0, le=86_400, description="seconds over which key_failures counts")
    forwarded_allow_ips: str = Field(
        default="", description="comma-separated addresses or networks (CIDR) of the proxies "
                                "whose X-Forwarded-For and X-Forwarded-Proto are trusted as "
                                "the client's; '*': any; blank: none, the client is the "
                                "address the server sees (the key throttle's and the logs')")
    models_root: str | None = Field(
        default=None, description="the folder a reload's model_path must be inside (without "
                                  "it, a reload body may not name a model_path)")
    access_log: str | None = Field(
        default=None, description="JSON-lines file recording every export (off when unset)")
    log_user_ids: bool = Field(default=False, description=LOG_USER_IDS_SAID)
    pseudonym_key: SecretStr | None = Field(
        default=None, description="key of the HMAC that replaces user ids in exports asked "
                                  "for with pseudonymize=true, and reads them back in POST "
                                  "/events?pseudonymized=true")
    cinemas: str | None = Field(
        default=None, description="cinemas.csv capping screen allocations by=cinema (default: "
                                  "the model folder's cinemas.csv, else the training data's)")
    store: str | None = Field(
        default=None, description="campaign store: a database URL (sqlite:///..., "
                                  "postgresql://...) or a SQLite file path (default: the "
                                  "SQLite file <MODEL>.campaigns.db beside the served model "
                                  "folder; in memory only where that cannot be written)")
    store_pool_size: int = Field(default=5, ge=1, le=1000,
                                 description="connections each worker keeps open to the campaign "
                                             "store (its routes and its events poller share them)")
    store_pool_overflow: int = Field(default=10, ge=0, le=1000,
                                     description="connections a worker may open beyond "
                                                 "store_pool_size at a peak")
    store_pool_timeout: float = Field(default=30.0, gt=0, le=3600,
                                      description="seconds a request waits for a store "
                                                  "connection before a 503 (Retry-After)")
    # closing the loop (service/routes/events.py, service/events_sync.py)
    events_max_batch: int = Field(default=10_000, ge=1, le=1_000_000,
                                  description="most events accepted in one POST /events")
    events_poll: float = Field(
        default=0.25, ge=0, description="seconds between two looks at the store's latest event "
                                        "sequence (new events reach this worker's audiences and "
                                        "recommendations at the next look); 0 = never look")
    max_k: int = Field(default=SERVED_MAX_K, ge=1, le=MAX_K,
                       description="largest k (page size) accepted")
    max_search_limit: int = Field(default=SERVED_MAX_SEARCH_LIMIT, ge=1,
                                  description="largest limit of GET /films")
    max_seed_users: int = Field(default=100_000, ge=1, description="longest lookalike seed list")
    max_comparable_films: int = Field(
        default=MAX_COMPARABLE_FILMS, ge=1,
        description="longest comparable film list (ids, or {id: weight}) of a new film's "
                    "audience or distribution; cold-start and distribution --like keep to it "
                    "too")
    max_slate_cells: int = Field(default=DEFAULT_MAX_SLATE_CELLS, ge=1,
                                 description="largest slate allocated (cinemas x films)")
    cache_mb: float = Field(default=128.0, ge=0,
                            description="memory for cached audience rankings (and half as much "
                                        "again for rendered audience and recommendation "
                                        "bodies)")
    cache_depth: int = Field(default=256, ge=1, description="users kept per cached film ranking")
    blas_threads: int = Field(
        default=1, ge=0,
        description="BLAS threads per worker (0 = the library's default). Concurrent requests "
                    "are parallel already; a multi-threaded BLAS under them thrashes")
    warm_cache: bool = Field(
        default=True, description="after (re)loading a model, rank the most-watched films' "
                                  "audiences into the cache in the background, until every "
                                  "film is ranked or the cache is 90% full")
    fast_path: bool = Field(
        default=True, description="answer plain audience pages and recommendation lists "
                                  "without FastAPI's routing (same bytes; service/fastpath.py)")
    min_cell: int = Field(default=DEFAULT_MIN_CELL, ge=1,
                          description="minimum cell size: summary segment and portrait cells "
                                      "of fewer users are left out (recommender.query.privacy)")
    max_batch: int = Field(default=32, ge=1, le=1024,
                           description="most audience (or recommendation) requests scored in one "
                                       "matrix product")
    # reliability (service/state.py, service/limits.py, service/server.py; README "Model
    # folders and reloads")
    watch_interval: float = Field(
        default=0.5, ge=0, le=MAX_WATCH_INTERVAL,
        description="seconds between two looks at what the model folder holds (a new save or "
                    "another worker's reload is loaded at the next look); 0 = never look")
    max_in_flight: int = Field(
        default=256, ge=0, description="scoring requests one worker runs at once; past it a "
                                       "request gets 503 with Retry-After (0 = no bound)")
    max_body_bytes: int = Field(default=8 << 20, ge=1,
                                description="largest request body accepted (bytes); 413 past it")
    timeout_request_body: float = Field(
        default=30.0, gt=0, description="seconds a request body may take to arrive, plus one per "
                                        "16 KiB received; 408 past it")
    timeout_request_head: float = Field(
        default=10.0, gt=0, description="seconds a client may take to send a request's head "
                                        "(line and headers); the connection is closed past it")
    timeout_keep_alive: int = Field(
        default=5, ge=1, description="seconds an idle keep-alive connection stays open")
    timeout_response_stall: float = Field(
        default=60.0, gt=0, description="seconds a response may wait on a client that stopped "
                                        "reading it (the server's send buffer full); the "
                                        "connection is closed past it")
    worker_start_timeout: int = Field(
        default=60, ge=1, description="whole seconds uvicorn waits for a worker of serve "
                                      "--workers N to answer its health check (a new worker "
                                      "while it starts, a running one every half second) "
                                      "before it kills and replaces it")

    @field_validator("model_path")
    @classmethod
    def _model_folder_not_a_version(cls, value: str | None) -> str | None:
        """``MODEL/current`` or ``MODEL/versions/X`` served: the watcher found no ``current``
        to follow there, so a new save never reached the workers, and the default campaign
        store landed beside that version (a new, empty one at each version, removed with it)."""
        folder = layout.holder(value) if value else None
        if folder is not None:
            raise ValueError(f"{value} is (or links to) a version of the model folder {folder}: "
                             f"serve {folder} itself, so that every new version reaches the "
                             "workers and the campaign store stays beside it")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_as_sent(cls, value: str) -> str:
        cors.origins(value)  # a ValueError naming the first origin no browser sends
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        """Each item an address or a network: a misspelt one trusted no proxy, in silence."""
        for item in (i.strip() for i in value.split(",")):
            if item and item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is neither an IP address nor a network "
                                     "(e.g. 10.0.0.5, 10.0.0.0/8, ::1) nor '*'") from None
        return value

    @field_validator("read_keys", "write_keys", "metrics_keys")
    @classmethod
    def _keys_are_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """A key setting that is set must hold keys: ``crm:`` (its variable unset when the
        setting was written) or only blanks would leave every endpoint open while the operator
        believes it closed, so the service refuses to start and says which id is empty (never
        a key)."""
        if value is None:
            return value
        name = f"RECOMMENDER_{(info.field_name or '').upper()}"
        items = key_items(value.get_secret_value())
        empty = [key_id or "(no id)" for key_id, key in items if key_id is not None and not key]
        if empty:
            raise ValueError(f"{name} gives no key for {', '.join(repr(e) for e in empty)} "
                             "(is the variable it comes from set?); refusing to start with "
                             "the endpoints open")
        if not items:
            raise ValueError(f"{name} is set but holds no key; unset it to serve without keys, "
                             "or give keys (KEY or ID:KEY, comma-separated)")
        reserved = next((i for i, _ in items if i is not None and i in RESERVED_IDS), None)
        if reserved is not None:  # the access log and the events' writer told them apart by id
            shown = f"the id {reserved!r}" if reserved else "an empty id (':KEY')"
            raise ValueError(f"{name} gives a key {shown}, which names "
                             f"{RESERVED_IDS[reserved]}: the export log and the events' "
                             "writer would take its caller for that one; give it another id "
                             "(or give the key without an id)")
        ids_of: dict[str, set[str]] = {}
        for key_id, key in items:  # "ID: KEY" is read as KEY (auth.KeyRing strips both parts)
            _printable_ascii(name, key, key_id)
            ids_of.setdefault(key, set()).add("(no id)" if key_id is None else key_id)
        twice = next((sorted(ids) for ids in ids_of.values() if len(ids) > 1), None)
        if twice is not None:  # the first id always matched: the export log named it alone
            raise ValueError(f"{name} gives one key under the ids {', '.join(map(repr, twice))}: "
                             "the export log could not tell those callers apart; give each "
                             "its own key")
        return value

    @field_validator("admin_key", "api_key")
    @classmethod
    def _admin_key_is_ascii(cls, value: SecretStr | None, info: ValidationInfo
                            ) -> SecretStr | None:
        if value is not None:  # as given: the admin ring compares the key unstripped
            _printable_ascii(f"RECOMMENDER_{(info.field_name or '').upper()}",
                             value.get_secret_value(), None)
        return value

    @model_validator(mode="after")
    def _any_origin_needs_keys(self) -> Settings:
        """``RECOMMENDER_CORS_ORIGINS=*`` on a server without read or write keys is refused
        (``cors.check_any_origin``)."""
        cors.check_any_origin(cors.origins(self.cors_origins),
                              bool(self.read_keys or self.write_keys))
        return self

    @model_validator(mode="after")
    def _each_key_one_role(self) -> Settings:
        """A key given in two of the key settings (read, write, metrics, admin) is refused,
        naming both settings and ids, never the key: the first ring that holds it names its
        caller, so an admin key also given as the read key ``crm`` wrote its exports under
        ``crm``, and a metrics key also given as a read key read every audience (README: a
        metrics key reads no data), with no word said. The admin key given as both
        ``RECOMMENDER_ADMIN_KEY`` and ``RECOMMENDER_API_KEY`` is one role and starts, and so
        does a write key also given as a read key under the same id (a write key reads: its
        caller is the one caller, with the write key's rights, as before)."""
        seen: dict[str, tuple[tuple[str, str], str]] = {}  # key -> ((setting, id), role)
        for field, role in (("admin_key", "admin"), ("api_key", "admin"),
                            ("read_keys", "read"), ("write_keys", "write"),
                            ("metrics_keys", "metrics")):
            for key, key_id in _keys_of(getattr(self, field), field in ("admin_key", "api_key")):
                setting = f"RECOMMENDER_{field.upper()}"
                if key in seen and seen[key][1] != role and not (
                        {seen[key][1], role} == {"read", "write"} and seen[key][0][1] == key_id):
                    (first, first_id), _ = seen[key]
                    raise ValueError(
                        f"{first}{first_id} and {setting}{key_id} give the same key: its "
                        "caller would hold both roles, named in the export log by one of "
                        "them; give each role its own key")
                seen.setdefault(key, ((setting, key_id), role))
        return self


def _keys_of(value: SecretStr | None, admin: bool) -> list[tuple[str, str]]:
    """(key, how its id is shown) of a key setting, as ``service.auth`` reads it (the admin
    key as given, with no id)."""
    if value is None:
        return []
    text = value.get_secret_value()
    if admin:
        return [(text, "")] if text else []
    return [(key, " (a key without an id)" if key_id is None else f" (id {key_id!r})")
            for key_id, key in key_items(text) if key]


def _printable_ascii(setting: str, key: str, key_id: str | None) -> None:
    """A key a client can send: printable ASCII without spaces. HTTP headers carry bytes, and a
    client's UTF-8 ``é`` never equals what the server holds, so such a key could never be
    matched (every request refused, with no word why); the message names the id, never the
    key."""
    if key and not all(33 <= ord(c) <= 126 for c in key):
        which = f"the key of {key_id!r}" if key_id else "a key"
        raise ValueError(f"{setting}: {which} holds a character outside printable ASCII (or a "
                         "space); a client's header could never match it: use letters, digits "
                         "and punctuation only")



def from_environment() -> Settings:
    """The settings from the environment, or ``InvalidParameterError`` naming each refused
    variable and why in one message (never its value: it may be a key), where pydantic's
    error is a traceback to an operator."""
    reasons = misspelt(os.environ)
    try:
        settings = Settings()
    except ValidationError as e:
        for err in e.errors():
            name = "RECOMMENDER_" + "_".join(str(part) for part in err["loc"]).upper()
            why = str(err["msg"]).removeprefix("Value error, ")
            reasons.append(why if why.startswith(name) else f"{name}: {why}")
    if reasons:
        raise InvalidParameterError("refused setting: " + "; ".join(reasons)) from None
    return settings


def misspelt(environ: Mapping[str, str]) -> list[str]:
    """A sentence for each ``RECOMMENDER_*`` variable that is no setting but nearly names one
    (``recommender.io.env_names.misspelt``, the rule every command follows): the settings
    ignore unknown names, so ``RECOMMENDER_READ_KEY`` (for ``READ_KEYS``) served every endpoint
    open, and ``RECOMMENDER_MAXK`` the default page size, with no word said. Other unknown
    names are warned at the start (``env_names.unknown``), the tests' own never."""
    return env_misspelt(environ, Settings.model_fields)
