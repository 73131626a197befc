"""What the app holds between requests: settings, metrics, the engine and the body cache.

The engine is swapped as one reference; a request takes the reference once (``deps``) and
finishes on that engine even if a reload replaces it meanwhile. Cached bodies are keyed by the
engine's model key, so a request still running on a replaced engine never answers another's.

Every worker serves one model folder, ``MODEL`` (``recommender serve MODEL``), and follows it:
a watcher thread looks every ``watch_interval`` seconds at what ``MODEL`` holds now
(``layout.stamp``: one ``readlink`` and one ``stat``) and reloads when it changed. So a new
``artifact.save`` to ``MODEL`` reaches every worker (and every replica serving the same
folder), and ``POST /admin/reload`` with a ``model_path`` does not load that folder into one
worker only: it publishes the model into ``MODEL`` (``artifact.publish``: checked, hard-linked
in as a new version, ``current`` swapped), then reloads; the other workers see the new
version at their next look. A version that fails to load (damaged on disk) is refused once,
logged and counted, and the old model keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from recommender.errors import ArtifactError
from recommender.io.text import plural
from recommender.model import artifact, layout
from recommender.serving.engine import Engine, load_engine
from service.body_cache import BodyCache
from service.metrics import Metrics, multiprocess
from service.settings import Settings

log = logging.getLogger("recommender.service")


def refused_paths(error: OSError) -> str:
    """``": PATH"`` (or ": PATH -> PATH2", a rename's) for the file the system refused in
    ``error``, "" when it names none: a refused reload said "Operation not permitted"
    without the folder or file to fix."""
    named = [str(f) for f in (error.filename, error.filename2) if f is not None]
    return f": {' -> '.join(named)}" if named else ""


class ReloadError(Exception):
    """The new model could not be loaded; the old one keeps serving."""

    #: the reloads this worker had installed when it was refused (``ServiceState.installs``)
    installs = -1


class RetryableReloadError(ReloadError):
    """The new model loaded, but something outside its folder failed (reading the campaign
    store's events): the old one keeps serving and the watcher tries again."""


class ServiceState:
    """The served engine, the rendered bodies cached for it, settings and metrics."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.engine: Engine | None = None
        # rendered audience and recommendation bodies: half as much memory again as the
        # engine's ranking cache
        self.bodies = BodyCache(int(settings.cache_mb * 2**20) // 2,
                                on_audience_hit=metrics.on_cache,
                                on_recommendations=metrics.on_recommendations_cache)
        self.model_path: str | None = (str(Path(settings.model_path).expanduser())
                                       if settings.model_path else None)
        self.stamp = ""          # what model_path held when the served engine was loaded
        self._refused = ""       # a stamp that failed to load (not retried until it changes)
        self.refused_reason: str | None = None  # why, while it is the folder's current
        # the folder a refused POST /admin/reload named (refused_reason names it in full, as
        # the admin key is shown it; shown_paths.shown_warning masks it for anyone else)
        self.refused_folder: str | None = None
        self._backoff = 0.0      # seconds to wait after a reload whose events read failed
        self._retry_wait = 0.0   # a worker without a model: seconds to the next try of the
        self._retry_at = 0.0     # refused folder (``check``)
        self._backoff_until = 0.0
        self._reload_lock = threading.Lock()
        # reloads installed, counted as refused_reason is cleared: a refusal the route records
        # after its thread returned is dropped when one succeeded meanwhile (``reload_refused``)
        self.installs = 0
        self._warning_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        # stored events applied to every installed engine (service/events_sync.py), when set
        self.events: Any = None

    def load(self, path: str) -> Engine:
        """Load and fully validate a model folder (raises ``ArtifactError``)."""
        s = self.settings
        engine = load_engine(
            str(Path(path).expanduser()), max_k=s.max_k, cache_bytes=int(s.cache_mb * 2**20),
            depth=s.cache_depth, max_batch=s.max_batch, on_batch=self.metrics.on_batch,
            on_cache=self.metrics.on_cache,
            on_recommendations_batch=self.metrics.on_recommendations_batch,
            min_cell=s.min_cell)  # every segment and filter read at the server's cell
        _warn_small_segments(engine, s.min_cell)
        return engine

    def install(self, engine: Engine, warm: bool = True) -> Engine | None:
        """Serve ``engine`` (with the stored events); ``warm``: start its cache warm-up
        (``RECOMMENDER_WARM_CACHE``); the events poller warms only after a quiet poll."""
        return self._swap(self._with_events(engine), warm)

    def _with_events(self, engine: Engine) -> Engine:
        """``engine`` with the stored events applied (reads the campaign store: may fail)."""
        return self.events.overlaid(engine) if self.events is not None else engine

    def _swap(self, engine: Engine, warm: bool = True) -> Engine | None:
        old, self.engine = self.engine, engine  # the atomic swap
        self.metrics.set_model(engine)
        if old is not None:
            old.close()
        self.bodies.clear()  # the old engine's bodies can no longer be asked for
        if self.settings.warm_cache and warm:
            engine.start_warming()
        return old

    def startup(self) -> None:
        if not self.model_path:
            raise ArtifactError("no model folder configured: set RECOMMENDER_MODEL_PATH or "
                                "run 'recommender serve MODEL_DIR'")
        engine: Engine | None
        try:
            engine = self.load(self.model_path)
            self.stamp = _stamp(engine, self.model_path)
        except ArtifactError as e:
            self.stamp = _folder_stamp(self.model_path)  # what was refused
            engine = self._fallback(e)
        if engine is None:  # a worker of several, with no version that loads (``_fallback``)
            if self.events is not None:
                self.events.without_model()
        else:  # a store that cannot be opened or read does not stop the start (at_start)
            self._swap(self.events.at_start(engine) if self.events is not None else engine)
        # a worker without a model watches even with watch_interval 0 (until it has one):
        # else only a POST /admin/reload that it happened to take brought it back
        if self.settings.watch_interval > 0 or self.engine is None:
            self._watcher = threading.Thread(target=self._watch, name="model-watch",
                                             daemon=True)
            self._watcher.start()

    def _fallback(self, refused: ArtifactError) -> Engine | None:
        """The newest other version of the served folder that loads, for a worker started
        while ``current`` holds a version the others refused: a worker that uvicorn restarts
        (after a crash or an out-of-memory kill) would otherwise fail to start, and uvicorn
        then stops every worker. ``current`` stays refused until the folder changes again,
        as in ``check``. With no version that loads, ``refused`` is raised, except in a
        worker of several (``recommender serve --workers N``, which checked the folder before
        its workers started): that one starts without a model, answers 503 (``/health``
        included) and loads the folder once it changes. A flat folder (no versions) replaced
        by a damaged one, or damaged in place, then a crash of one worker, made uvicorn stop
        every worker, the ones still serving the model they had loaded included."""
        assert self.model_path is not None
        root = Path(self.model_path)
        current = layout.resolve(root).resolve()
        for version in reversed(layout.versions(root)):
            if version.resolve() == current:
                continue
            try:
                engine = self.load(str(version))
            except ArtifactError:
                continue
            self._refused, self.stamp = self.stamp, layout.stamp(version)
            self.refused_reason = (f"the folder's current model was refused ({refused}); "
                                   f"serving the newest version that loads, {version.name}")
            log.warning("the served folder's current model was refused (%s); serving the newest "
                        "version that loads, %s, until the folder changes", refused, version.name)
            return engine
        if not multiprocess():
            raise refused
        self._refused, self.stamp = self.stamp, ""
        self.refused_reason = (f"no version of the served folder loads ({refused}); this "
                               "worker serves no model until the folder changes")
        log.error("no version of the served folder loads (%s); this worker started without a "
                  "model (503) and loads the folder once it changes", refused)
        return None

    def shutdown(self) -> None:
        """Stop the watcher and close the engine."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=10)
        if self.engine is not None:
            self.engine.close()

    def reload(self, path: str | None = None) -> tuple[str, Engine, float]:
        """Make the served folder hold ``path``'s model (``artifact.publish``) when a path
        other than the served folder is given, then load the served folder, validate it and
        swap it in.

        Returns (previous version, new engine, seconds). On any failure raises
        ``ReloadError`` saying why, and the current engine keeps serving.
        """
        result = self._reload(path, only_if_changed=False)
        assert result is not None
        return result

    def reload_refused(self, why: str, installs: int, folder: str | None = None) -> None:
        """Say on ``/health`` (``refused_reason``) that a reload asked of this worker (``POST
        /admin/reload``) was refused and why (``why``, the ``ReloadError``'s words, its
        paths in full: the admin key sees them so, ``shown_paths.shown_warning`` masks them
        and ``folder``, the folder reloaded, for anyone else), until a reload succeeds: the
        409, the log and the metrics said so, ``/health`` nothing, and a version damaged in
        place keeps its ``meta.json`` (the stamp), so no look at the folder says it either.
        ``installs``: the refused ``ReloadError``'s; a reload that succeeded since (the
        watcher's, between the refusal and this call) leaves it unsaid."""
        with self._warning_lock:
            if installs != self.installs:
                return
            self.refused_folder = folder
            served = self.engine.version if self.engine is not None else "none"
            self.refused_reason = (f"the last reload this worker took (POST /admin/reload) was "
                                   f"refused ({why}); still serving {served}")

    def _refusal(self, why: str) -> ReloadError:
        """``ReloadError(why)`` knowing the reloads installed so far (the reload lock held)."""
        error = ReloadError(why)
        error.installs = self.installs
        return error

    def _next_backoff(self) -> float:
        """Double the wait after each failed events read (from the watch interval, at most
        a minute): a store that is down is not hammered with full model loads."""
        base = max(self.settings.watch_interval, 0.1)
        self._backoff = min(60.0, self._backoff * 2 if self._backoff else base)
        return self._backoff

    def check(self) -> bool:
        """Reload if the served folder holds another model than the one loaded (a save, or
        another worker's reload); True when it did. A version that fails to load is logged
        and counted once, and tried again, from every second to every minute, until it loads
        or the folder changes: a copy that completes the folder in place may leave its
        ``meta.json`` (the stamp) as it was, and a worker serving no model (``_fallback``)
        answered 503 until restarted, one serving a model kept the old one for good while the
        workers that looked after the copy served the new one."""
        stamp = _folder_stamp(self.model_path) if self.model_path else ""
        if stamp and stamp == self.stamp and self._refused:
            # ``current`` is back at the version served (a rollback by hand): nothing is
            # refused now (the warning stayed on /health), and the refused version is tried
            # again should ``current`` point at it once more
            self._refused, self.refused_reason = "", None
        if not stamp or stamp == self.stamp:
            return False
        if stamp == self._refused and time.monotonic() < self._retry_at:
            return False
        if time.monotonic() < self._backoff_until:  # the store failed lately: not yet
            return False
        again = stamp == self._refused  # a retry: not counted or logged as a new refusal
        try:
            return self._reload(None, only_if_changed=True, count=not again) is not None
        except RetryableReloadError as e:  # not refused: the next check tries again
            log.warning("the model folder changed but the new model could not be installed "
                        "yet; still serving %s: %s",
                        self.engine.version if self.engine else "none", e)
            return False
        except ReloadError as e:
            self._refused = stamp
            self.refused_reason = (f"the folder's current model was refused ({e}); still "
                                   f"serving {self.engine.version if self.engine else 'none'}")
            # tried again, less often while it fails (every second at first, at most every
            # minute): a copy that completes the version in place may leave its meta.json (the
            # stamp) as it was, and a worker that looked while it was half-written kept its
            # old model for good while the others served the completed one
            self._retry_wait = min(60.0, (self._retry_wait if again else 0.0) * 2 or max(
                self.settings.watch_interval, 1.0))
            self._retry_at = time.monotonic() + self._retry_wait
            if self.engine is None:  # nothing served
                log.warning("the served folder does not load; serving no model, trying "
                            "again in %g s: %s", self._retry_wait, e)
                return False
            if again:
                log.debug("the served folder's current model is still refused: %s", e)
                return False
            log.warning("the model folder changed but the new model was refused; "
                        "still serving %s: %s", self.engine.version, e)
            return False

    def _watch(self) -> None:
        every = self.settings.watch_interval
        while not self._stop.wait(every or 1.0):
            if not every and self.engine is not None:
                return  # not watching (watch_interval 0): it was only until a model loaded
            try:
                self.check()
            except Exception:  # never let the watcher die
                log.exception("model watcher")

    def _reload(self, path: str | None, only_if_changed: bool, count: bool = True
                ) -> tuple[str, Engine, float] | None:
        with self._reload_lock:
            served = self.model_path
            if not served:
                raise self._refusal("no model folder configured")
            if only_if_changed and _folder_stamp(served) == self.stamp:
                return None
            previous = self.engine.version if self.engine is not None else ""
            t0 = time.perf_counter()
            try:
                if path is not None and not _same_folder(path, served):
                    root = self.settings.models_root
                    artifact.publish(Path(path).expanduser(), served, within=Path(
                        root).expanduser().resolve() if root else None)
                engine = self.load(served)
                stamp = _stamp(engine, served)
            except ArtifactError as e:
                if count:
                    self.metrics.reloads.labels(result="error").inc()
                raise self._refusal(str(e)) from None
            except OSError as e:
                if count:
                    self.metrics.reloads.labels(result="error").inc()
                raise self._refusal("the served model folder could not take the new model "
                                    f"({type(e).__name__}: {e.strerror or 'failed'}"
                                    f"{refused_paths(e)})") from None
            except Exception as e:  # a corrupt folder can fail in many ways; never half-swap
                if count:
                    self.metrics.reloads.labels(result="error").inc()
                raise self._refusal(f"{path or served}: could not load the model "
                                    f"({type(e).__name__}: {e})") from None
            loaded = time.perf_counter() - t0
            try:
                ready = self._with_events(engine)
            except Exception as e:  # the stored events could not be read: nothing swapped
                engine.close()
                self.metrics.reloads.labels(result="error").inc()
                self._backoff_until = time.monotonic() + self._next_backoff()
                reason = str(e).splitlines()[0][:200] if str(e) else ""
                raise RetryableReloadError(
                    f"the new model loaded, but the campaign store's events could not be "
                    f"read ({type(e).__name__}: {reason}); the served folder is checked "
                    "again (by the watcher, or the next reload)") from None
            self._backoff, self._backoff_until = 0.0, 0.0
            self._swap(ready)
            # only now: a failed install leaves the stamp as it was, so the folder is checked
            # again (before, this worker kept the old model until the folder changed again)
            with self._warning_lock:
                self.stamp, self._refused, self.refused_reason = stamp, "", None
                self.installs += 1
            self._retry_wait = 0.0
            self.metrics.reloads.labels(result="ok").inc()
            # the whole swap: the load said "loaded in 0.01 s" while folding the store's
            # events in took seconds more before the new model answered
            seconds = time.perf_counter() - t0
            log.info("%s: now serving model %s (was %s) after %.2f s: loaded in %.2f s%s",
                     "the model folder changed" if only_if_changed else "reload", ready.version,
                     previous or "none", seconds, loaded, _fold_said(ready, seconds - loaded)
                     if self.events is not None else "")
            return previous, ready, seconds


def _fold_said(engine: Engine, seconds: float) -> str:
    """The swap log's part for the campaign store's events folded into ``engine``'s model."""
    applied = int((engine.model.meta.get("overlay") or {}).get("events_applied", 0))
    return (f", folding the campaign store's {plural(applied, 'event', sep=',')} in took "
            f"{seconds:.2f} s")


def _stamp(engine: Engine, served: str) -> str:
    """The stamp of the version ``engine`` was loaded from: the folder's own a moment before
    the load named the version a save replaced meanwhile, and the watcher loaded the new
    one a second time."""
    folder = engine.model.folder
    return layout.folder_stamp(folder) if folder else layout.stamp(served)


def _folder_stamp(served: str) -> str:
    """``layout.stamp`` of the served folder, or, when it has none (``current`` pointing at a
    version removed by hand, a version without ``meta.json``, the folder gone), one naming
    the folder ``current`` leads to: the watcher passed over such a change without a word
    (no log line, no refusal counted) until a restart failed on it."""
    return layout.stamp(served) or f"{layout.resolve(served)}|unreadable"


def _same_folder(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False


def _warn_small_segments(engine: Engine, floor: int) -> None:
    """Say when a model holds segments smaller than the minimum cell (trained before training
    merged them, under a smaller RECOMMENDER_MIN_CELL, or of fewer users than it in all):
    GET /segments withholds them (``catalog.segments_answer``); retraining merges them."""
    import numpy as np

    sizes = np.bincount(np.asarray(engine.model.segments.labels, np.int64))
    small = int(((sizes > 0) & (sizes < floor)).sum())
    if small:
        log.warning("model %s holds %d segment(s) of fewer than %d users (the minimum cell "
                    "size): GET /segments withholds them (their sizes, representative films "
                    "and labels would describe a few users); retrain to merge them",
                    engine.version, small, floor)
