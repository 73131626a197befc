"""The bodies of ``GET /health``: the served model, the audience cache's warm-up, limits."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from service.sent import Sent


class TimeSpan(Sent):
    first: str | None = Field(description="the log's first time (each user-film pair at its "
                                          "first event), ISO 8601 in UTC (2020-01-31T12:00:00Z);"
                                          " null for a time no calendar date holds")
    last: str | None = Field(description="the log's last time, as first")
    first_unix_seconds: int | None = Field(description="the first time in unix seconds (UTC)")
    last_unix_seconds: int | None = Field(description="the last time in unix seconds (UTC)")
    days: float | None = Field(description="days from the first time to the last (3 "
                                           "decimals)")
    timezone: str | None = Field(description="the zone the times are said in: UTC")


class BlankRatings(Sent):
    choice: Literal["refuse", "drop", "implicit"] = Field(description=(
        "train's --blank-ratings: refuse (a blank rating refuses the log, so none was read), "
        "drop (those rows left out) or implicit (kept as views)"))
    rows: int = Field(description="the log's rows with a blank rating it applied to (left "
                                  "out or kept as views; 0 under refuse)")
    rating_given: float | None = Field(description=(
        "implicit: the rating each pair no event rates was given (the median of the log's "
        "ratings, at least min_rating); null otherwise, and when every pair was rated or "
        "every rating was blank (then the model has no ratings)"))


class ModelInfo(Sent):
    model_config = ConfigDict(protected_namespaces=())

    model_version: str = Field(description="meta.json's model_version; also in X-Model-Version")
    model: str = Field(description="model type: als, bpr or lmf")
    format_version: int | None = Field(description="model folder format version")
    created: str | None = Field(description="when the model was trained (ISO 8601 in UTC, "
                                                       "2024-03-21T09:00:00Z)")
    users: int = Field(description="users the model knows (with store_events' new users)")
    films: int = Field(description="films the model knows")
    # required, with no default: a default of 0 told a client built from the schema, given
    # no count, that the catalog has no titles or genres
    films_with_title: int = Field(description=(
        "films the model knows whose catalog entry has a title (0 to films; 0 for a log "
        "trained without a catalog: films are then found by id only); always given"))
    films_with_genres: int = Field(description=(
        "films the model knows whose catalog entry has one genre or more (0 to films; 0: "
        "the catalog has no genres, and no genre filter or genre of a new film can match); "
        "always given"))
    interactions: int = Field(description="distinct (user, film) pairs held as watched: the "
                                          "training interactions and store_events' new pairs")
    factors: int = Field(description="components of each taste vector (its length), as "
                                     "trained (BPR's and LMF's bias columns aside)")
    segments: int = Field(description=(
        "count of the audience segments GET /segments lists (at least min_cell users each, "
        "as served); with segments_withheld, the model's segment count"))
    segments_withheld: int = Field(description=(
        "count of the model's segments GET /segments withholds (fewer than min_cell users "
        "each: its hidden.segments), left out of segments; 0 when every one is listed"))
    user_attributes: list[str] = Field(description="user attributes available for portraits")
    place_attributes: list[str] = Field(
        default_factory=list,
        description="the user attributes demand by place (distribution) can break down by")
    data_fingerprint: str | None = Field(
        description="sha256 of the training interactions as read, in their order (the same "
                    "rows in another order give another, and another fit); a Spark-trained "
                    "model's is computed otherwise, independent of the order and of the "
                    "cluster, so the two engines never give the same one")
    data_source: str | None = Field(description=(
        "where the training data came from: its path to the admin key (and to every caller "
        "of a server with no key configured); to any other key inside RECOMMENDER_MODELS_ROOT "
        "as <models root>/..., else its last name only, and the campaign store's events "
        "counted without the store's URL (ratings.csv + 12 events; to a read or write key "
        "not counted: ratings.csv + campaign events)"))
    time_span: TimeSpan | None = Field(default=None, description=(
        "when the training log's interactions happened, in UTC (meta.json's data.time_span; "
        "`recommender info` prints it); null when the log has no timestamps or the model was "
        "trained before it was recorded"))
    blank_ratings: BlankRatings | None = Field(default=None, description=(
        "how the training log's blank ratings were read (meta.json's data.blank_ratings; "
        "`recommender info` prints it); null for a model trained before it was recorded"))
    params: dict[str, Any] = Field(description="training parameters")
    has_calibration: bool = Field(description="whether tiers carry expected conversion")
    refit: str | None = Field(default=None, description="how the final model was fitted after "
                              "the calibration fit (meta.json's refit; null for a model "
                              "trained before it was recorded)")
    films_without_liked: int | None = Field(
        default=None, description="films without an interaction in the fit (none rated at "
        "or above min_rating; their audiences are in no meaningful order; meta.json's "
        "films_without_liked); null when there are none or it was not recorded")
    catalog_without_interactions: int | None = Field(
        default=None, description="films of the training data's catalog that no interaction "
        "names, left out of the model (no audience, viewers or taste vector; meta.json's "
        "catalog_without_interactions lists them); null when there are none or it was not "
        "recorded")
    store_events: dict[str, int | str] | None = Field(default=None, description=(
        "the campaign store's events folded in since training (counted in users and "
        "interactions, reflected in audiences): events_applied, through_seq (the store's "
        "sequence, X-Events-Seq) and new_users to the admin key, or on a server with no "
        "read or write key; to a read or write key through_seq alone and counted 'key': "
        "the events stored under its key id that the served model reflects, as "
        "X-Events-Seq and GET /events/status's applied give it (a key is shown no other "
        "key's volumes); null when none apply"))
    path: str | None = Field(description=(
        "the model folder being served: its path to the admin key (and to every caller of a "
        "server with no key configured); to any other key as <models root>/... when it is "
        "inside RECOMMENDER_MODELS_ROOT (as a refused reload's 409 shows it), else null"))


class CacheWarmth(Sent):
    state: Literal["off", "running", "done", "full", "stopped"] = Field(
        description="the background ranking of films' audiences after a load: off, running, "
                    "done (every film), full (the cache is full) or stopped (model replaced)")
    films: int | None = Field(description="films whose audience ranking is cached so far; "
                                          "null to a keyless caller when read keys are set")
    total: int | None = Field(description="films in the model; null to a keyless caller when read "
                                          "keys are set")
    seconds: float = Field(description="seconds spent so far")


class ServiceLimits(Sent):
    max_k: int = Field(description="the largest page (k, in users or films) a list "
                                   "endpoint accepts (RECOMMENDER_MAX_K)")
    max_seed_users: int = Field(description=(
        "the longest lookalike seed list (users) POST /audiences/lookalike accepts "
        "(RECOMMENDER_MAX_SEED_USERS)"))
    max_comparable_films: int = Field(description=(
        "the longest comparable_film_ids (films: ids, or {id: weight}) POST "
        "/audiences/cold-start, "
        "its .csv and POST /distribution/cold-start accept (more: 422) "
        "(RECOMMENDER_MAX_COMPARABLE_FILMS)"))
    max_slate_cells: int = Field(description=(
        "the largest slate POST /distribution/slate allocates, in cells (cinemas x films; "
        "more: 422) (RECOMMENDER_MAX_SLATE_CELLS)"))


class KeyAccess(Sent):
    read: bool = Field(description=(
        "whether this request may read the data endpoints: true when no read key is "
        "configured (RECOMMENDER_READ_KEYS), or when it carries a read, write or admin key"))
    write: bool = Field(description=(
        "whether it may write to the campaign store (POST /events, /campaigns/plan, "
        "/campaigns/{plan_id}/next, .../withdraw, .../waves/{wave}/sent): true when no read or "
        "write key is configured, or when it carries a write key (RECOMMENDER_WRITE_KEYS) or "
        "the admin key; false for a read key (those writes answer it 403), a metrics key and "
        "none"))


class Health(Sent):
    status: Literal["ok"] = "ok"
    model: ModelInfo | None = Field(description="the served model; null when read keys are "
                                                "configured and the request carries none")
    audience_cache: CacheWarmth
    tuning: dict[str, Any] | None = Field(
        default=None, description="the hyper-parameter search inside train: status, what was "
        "searched and chosen, validation objective (validation_objective: the chosen settings' and "
        "the starting point's) and what it measures (objective), seconds (meta.json's tuning, "
        "no trial list); family and popularity: each later stage's searched values, choice and "
        "reason (family.searched holds the EASE ranks and lambdas tried, which searched, ALS's "
        "stages, does not)")
    limits: ServiceLimits
    model_folder_warning: str | None = Field(default=None, description=(
        "set while the model folder's current version is refused (damaged or unloadable): why, "
        "and which version this worker serves instead; or, after a POST /admin/reload this "
        "worker took was refused (409), why, until a reload succeeds (the other workers did "
        "not try it and say nothing of it); null otherwise, and for a caller without a key "
        "when read keys are configured. The served folder and the models root are named in "
        "full to the admin key only, as model.path is (else <models root>/... or the served "
        "model folder)"))
    campaign_store: Literal["ok", "unavailable", "moved", "read_only", "failing",
                            "schema_newer", "damaged"] = Field(
        "ok", description=(
        "unavailable: this worker could not open or read the campaign store at its start or "
        "last poll; its store routes answer 503, it serves the model without the events "
        "since. moved: `recommender campaign copy` moved the store (seen at the start, at a "
        "poll or at a refused write): events and plans answer 409 until the service is pointed "
        "at the copy (RECOMMENDER_STORE) or the store is reopened. read_only: the store's "
        "last write was refused because it refuses writes (a PostgreSQL standby, a file that "
        "cannot be written): writes answer 503 until one succeeds or this worker's probe finds "
        "the store writable again. failing: a request to the "
        "store failed because the disk under it is full or its files could not be read or "
        "written (an I/O error), and answered 503; the store routes answer as before (each "
        "request the failure meets: 503) until a write succeeds or this worker's probe, every "
        "5 s, finds the disk takes a block (a page written beside a SQLite file, synced and "
        "removed; a row in a PostgreSQL temporary table, rolled back). read_only and "
        "failing are also what this worker's background probe found, every 5 s, without "
        "writing (a file, folder or mount that cannot be written, a full disk until a write "
        "is taken on it, a PostgreSQL "
        "standby or read-only database), so every worker says so, not only the one whose "
        "write was refused; while the probe says read_only, this worker's write routes answer "
        "that 503 before writing. schema_newer: the store is at a schema version newer than this "
        "engine's (a newer engine migrated it, before this worker started or since: the "
        "poller reads the version every 5 s): this worker neither reads nor writes it, its "
        "store routes answer 409 saying both versions; upgrade the engine. damaged: the "
        "store's SQLite file is damaged (database disk image is malformed), seen at the start "
        "or by a request: its routes answer 503 without Retry-After (a retry reads the same "
        "file) until a write succeeds or the worker opens the restored store. /health never "
        "waits on the store"))
    access: KeyAccess = Field(description=(
        "what the key this request carries (X-API-Key or Authorization: Bearer; or none) lets "
        "it do, as the key check decides; its id is not said. Audience Studio offers only the "
        "writes it may make. A key that is none of the server's keys is not said here: once "
        "read or write keys are configured /health answers it 401, as the data endpoints do "
        "(no key: 200; with no read or write key configured, keys are ignored here as on "
        "the data endpoints)"))
    worker: int = Field(description=(
        "the process id of the worker that answered: with --workers N each request reaches "
        "one of them, so after a reload an operator asks until every pid has been seen, "
        "each with the model.model_version it serves"))
    problems: list[str] | None = Field(default=None, description=(
        "what needs an operator, one short sentence each, beside status (ok while this worker "
        "answers, as the contract fixes it): the model folder's current version or the last "
        "reload refused (model_folder_warning says why), the campaign store not ok "
        "(campaign_store says which). Empty when nothing does; null for a caller without a "
        "key when read keys are configured, as model_folder_warning"))
    campaign_store_checked_s: float | None = Field(default=None, description=(
        "seconds since this worker last probed whether the campaign store takes writes (its "
        "background poller, every 5 s): how old campaign_store's read_only or failing is; "
        "null when it has not probed it (no store opened yet, or one it cannot look at: in "
        "memory or a file: URI, whose read_only stands until a write succeeds)"))
