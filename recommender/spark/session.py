"""Starting Spark: the session, started and stopped, Ctrl-C and SIGTERM while it runs.

The pyspark, Java and master URL checks with their install hints are ``requirements``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from recommender.errors import Terminated
from recommender.io.progress import show_progress, update_interval_s
from recommender.kernels.cpus import available_cpus
from recommender.spark.requirements import (
    JAVA_INSTALL,
    PYSPARK_INSTALL,  # noqa: F401 (re-exported: imported from here)
    SparkUnavailableError,
    _is_local_master,
    check_java,
    check_master,
    require_pyspark,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

def get_session(master: str = "local[*]", conf: dict[str, str] | None = None,
                progress: bool | None = None) -> tuple[SparkSession, bool]:
    """The active SparkSession (under ``spark-submit`` or in a notebook), else a new one on
    ``master``. Returns ``(session, created)``; stop it only when ``created``. A new one draws
    its stages on stderr as ``show_progress(progress)`` says (the caller's choice first), at
    ``update_interval_s``'s pace where it names one (not under ``spark-submit``).

    Under ``spark-submit`` the master and resources come from ``spark-submit``'s options.
    For a local master the driver binds to 127.0.0.1 and the Python workers use this
    interpreter.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if not under_submit:
        check_master(master)
        check_java()
    builder = SparkSession.builder.appName("recommender")
    shown = show_progress(progress)
    settings: dict[str, str] = {"spark.sql.session.timeZone": "UTC",
                                "spark.ui.showConsoleProgress": "true" if shown else "false"}
    # Spark's pace (0.2 s, into a log too) thinned, never quickened; spark-submit's --conf rules
    if shown and not under_submit and (every := update_interval_s()) is not None:
        settings["spark.ui.consoleProgress.update.interval"] = f"{max(200, round(every * 1e3))}ms"
    if not under_submit:
        builder = builder.master(master)
        # quiet from the JVM's start: a task's failure (a malformed CSV row) printed its Java
        # stack trace, an unreachable master each retry's, before the one-line error; Spark's
        # own log4j2.properties (in SPARK_CONF_DIR) or driver options, when set, are kept
        if QUIET_LOG.is_file() and not _own_log_config(conf):
            settings["spark.driver.extraJavaOptions"] = \
                f"-Dlog4j2.configurationFile={QUIET_LOG.as_uri()}"
        if _is_local_master(master):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            settings.update({
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                # two a CPU this process may keep busy, as the JVM counts (not every host core)
                "spark.sql.shuffle.partitions": str(max(4, 2 * available_cpus())),
                "spark.ui.enabled": "false",
            })
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        if not under_submit:
            _start_jvm(master, settings)
        session = builder.getOrCreate()
    except Exception as e:  # the JVM did not start (wrong Java version, no memory, ...)
        said = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        java = "Java gateway" in str(e) or "JAVA_HOME" in str(e)  # the JVM itself failed
        hint = (f"Spark 4 needs Java 17 or later: {JAVA_INSTALL}" if java
                else f"is the master {master!r} reachable?")
        raise SparkUnavailableError(f"could not start Spark on {master} ({said}); {hint}"
                                    ) from None
    if "spark.driver.extraJavaOptions" not in settings:  # the quiet log is not in use
        session.sparkContext.setLogLevel("ERROR")
    running = session.sparkContext.master
    if under_submit and master != "local[*]" and running != master:  # not silently ignored
        print(f"note: --spark-master {master} is not used under spark-submit: this runs on "
              f"spark-submit's master ({running})", file=sys.stderr)
    return session, True


def _start_jvm(master: str, settings: dict[str, str]) -> None:
    """Start the JVM the session will use, as ``getOrCreate`` would (same configuration),
    its stderr without the lines every start prints (``jvm.launch``); nothing when this
    process already has one (a session started and stopped before), or for Spark Connect
    (``getOrCreate`` decides then)."""
    from pyspark import SparkConf

    from recommender.spark import jvm

    connect = ("SPARK_REMOTE" in os.environ or "SPARK_CONNECT_MODE_ENABLED" in os.environ
               or "spark.remote" in settings
               or settings.get("spark.api.mode", os.environ.get("SPARK_API_MODE")) == "connect")
    try:
        from pyspark.core.context import SparkContext
    except ImportError:  # pyspark-client: Spark Connect only
        return
    if connect:
        return
    with SparkContext._lock:
        if SparkContext._gateway is not None:
            return
        conf = SparkConf()
        for key, value in {"spark.app.name": "recommender", "spark.master": master,
                           **settings}.items():
            conf.set(key, value)
        SparkContext._ensure_initialized(gateway=jvm.launch(conf))


#: the driver's log configuration when this process starts the JVM (``get_session``)
QUIET_LOG = Path(__file__).with_name("log4j2-quiet.properties")


def _own_log_config(conf: dict[str, str] | None) -> bool:
    """Whether the caller or the Spark installation configures the driver's JVM or log."""
    if conf and "spark.driver.extraJavaOptions" in conf:
        return True
    home = os.environ.get("SPARK_HOME")  # spark-submit's default configuration folder
    conf_dir = os.environ.get("SPARK_CONF_DIR") or (home and str(Path(home) / "conf"))
    if not conf_dir:
        return False
    if (Path(conf_dir) / "log4j2.properties").is_file():
        return True
    defaults = Path(conf_dir) / "spark-defaults.conf"
    try:
        return "spark.driver.extraJavaOptions" in defaults.read_text(errors="replace")
    except OSError:
        return False


# what py4j writes with logging.exception when a Ctrl-C lands inside one of its socket reads
PY4J_NOISE = frozenset({"Exception while sending command.",
                        "KeyboardInterrupt while sending command."})


class _Interrupt(logging.Filter):
    """Ctrl-C (and SIGTERM, as ``Terminated``) around a session ``session_scope`` starts on the
    main thread.

    pyspark's own handler (installed when a SparkContext starts on the main thread) cancels
    the jobs inside the very py4j call the signal interrupts: a reentrant read, and py4j's
    tracebacks on stderr before "interrupted"; a Ctrl-C while the JVM was starting left it
    printing Java stack traces after the process had said "interrupted". So the session starts
    on another thread (pyspark then installs nothing) under this handler: a Ctrl-C while it
    starts is kept until it has started, and the session is then stopped (a second one ends
    the JVM being started, which would print its start-up lines after "interrupted", and
    the wait); a Ctrl-C after cancels the jobs from another thread and raises
    ``KeyboardInterrupt``. py4j's account of the call it interrupted is dropped: this filter on
    the root logger, where py4j logs it, and py4j's own loggers silenced."""

    def __init__(self) -> None:
        super().__init__()
        self.spark: SparkSession | None = None  # set when started here: its jobs are cancelled
        self.hit = False
        self.started = False
        self.signum = signal.SIGINT  # the first signal's

    def stop(self) -> BaseException:
        """What the first signal raises: ``KeyboardInterrupt``, or ``Terminated`` (SIGTERM)."""
        return Terminated() if self.signum == signal.SIGTERM else KeyboardInterrupt()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        first = not self.hit
        self.hit = True
        if first:
            self.signum = signal.Signals(signum)
        logging.getLogger("py4j").setLevel(logging.CRITICAL + 1)
        if first and not self.started:
            return  # while the JVM starts: kept, and the session stopped once it has started
        if first:
            threading.Thread(target=self._cancel, daemon=True).start()
        raise self.stop()

    def _cancel(self) -> None:
        with contextlib.suppress(Exception):  # the JVM may be going already
            if self.spark is not None:
                # silenced first: a fit still running in the JVM logged "ERROR
                # Instrumentation: ... SparkContext has been shutdown" with its Java stack
                # before "interrupted" when the stop below came before its next job
                self.spark.sparkContext.setLogLevel("OFF")
                self.spark.sparkContext.cancelAllJobs()

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.hit and record.getMessage() in PY4J_NOISE)

    def start(self, master: str, progress: bool | None) -> tuple[SparkSession, bool]:
        """``get_session(master)`` on another thread, waited for on this one."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["session"] = get_session(master, progress=progress)
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread
                box["error"] = e

        before = _children()
        thread = threading.Thread(target=run, name="spark-start", daemon=True)
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.1)
        except (KeyboardInterrupt, Terminated):  # a second Ctrl-C while the JVM starts: it
            # ends here, and its start-up lines with it (they came after "interrupted")
            _end_tree(_children() - before)
            thread.join(STOP_WAIT)  # the start fails now, under this filter (py4j silenced)
            raise
        if "error" in box:
            raise box["error"]
        session, created = box["session"]
        self.started = True
        if created:
            self.spark = session
        if self.hit:  # a signal while it started: stopped as after one (``_stop_aside``)
            if created:
                _stop_aside(session)
            raise self.stop()
        return session, created


STOP_WAIT = 5.0  # seconds a JVM ended while it starts has to exit before it is killed


def _parents() -> dict[int, tuple[int, bytes, int]]:
    """{pid: (parent pid, state, start time in clock ticks)} of the processes in ``/proc``
    (Linux); empty elsewhere. The start time tells a process from a later one given its pid."""
    found: dict[int, tuple[int, bytes, int]] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                    fields = stat[stat.rindex(b")") + 2:].split()
                    found[int(name)] = int(fields[1]), fields[0], int(fields[19])
                except (OSError, ValueError, IndexError):
                    continue
    return found


def _children() -> set[int]:
    """The processes this one started and that are still running."""
    me = os.getpid()
    return {p for p, (parent, state, _) in _parents().items()
            if parent == me and state not in (b"Z", b"X")}


def _end_tree(roots: set[int]) -> None:
    """End the processes ``roots`` and their descendants: the JVM pyspark is starting (or
    the ``spark-submit`` script and the launcher before it execs the JVM), which writes on
    this process's stderr and ignores SIGINT. SIGTERM first (Spark's shutdown hooks remove
    the temporary folders it made), SIGKILL for what still runs after ``STOP_WAIT`` seconds;
    returns once none of them runs. Only the processes there when it is called are signalled
    (the JVM's own helpers, such as the ``rm`` its shutdown hooks start, are left to it), each
    known by pid and start time (a pid freed and taken by another process is left alone).
    Where there is no ``/proc`` nothing is found, and the JVM ends by itself once this
    process has gone."""
    table = _parents()
    tree = {p: table[p][2] for p in roots if p in table}
    while more := {p: t[2] for p, t in table.items() if t[0] in tree and p not in tree}:
        tree |= more
    for sig, wait in ((signal.SIGTERM, STOP_WAIT), (signal.SIGKILL, 1.0)):
        table = _parents()
        for pid, start in tree.items():
            if pid in table and table[pid][2] == start:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while tree and time.monotonic() < deadline:
            table = _parents()
            tree = {p: start for p, start in tree.items() if p in table
                    and table[p][2] == start and table[p][1] not in (b"Z", b"X")}
            if tree:
                time.sleep(0.05)
        if not tree:
            return


def _quiet_stop(spark: SparkSession) -> None:
    """Stop ``spark`` without the executors' errors as their cancelled tasks end."""
    with contextlib.suppress(Exception):
        spark.sparkContext.setLogLevel("OFF")
    spark.stop()


#: seconds a session's stop after a signal is waited for (``_stop_aside``): a JVM that does
#: not answer is then left to stop, and ends with this process (its stdin closes)
STOP_AFTER_SIGNAL = 30.0


def _stop_aside(spark: SparkSession) -> None:
    """``_quiet_stop`` on a thread of its own, waited for up to ``STOP_AFTER_SIGNAL`` seconds
    (a second Ctrl-C or SIGTERM ends the wait, the stop going on; a hung JVM made the command
    wait for ever), then left to stop with a note on stderr; its failure is dropped (a stop is
    under way already).
    py4j gives each thread its own connection, and the main thread's may be owed the answer
    of the call the signal broke off: a stop sent on it read that answer as its own, and
    py4j's ``KeyError: 'm'`` traceback ended the command (exit 1) in place of "interrupted"
    or "terminated"."""
    def stop() -> None:
        with contextlib.suppress(Exception):
            _quiet_stop(spark)

    thread = threading.Thread(target=stop, name="spark-stop", daemon=True)
    thread.start()
    thread.join(STOP_AFTER_SIGNAL)
    if thread.is_alive():
        print(f"note: the Spark session did not stop within {STOP_AFTER_SIGNAL:g} s; it was "
              "left to stop (its JVM ends with this process)", file=sys.stderr, flush=True)


@contextmanager
def session_scope(spark: SparkSession | None, master: str, progress: bool | None = None
                  ) -> Iterator[SparkSession]:
    """``spark`` when given, else ``get_session(master)``; a session started here is stopped
    when the block ends, one that was handed in or already active is left running. On the
    main thread, Ctrl-C cancels a session started here and ends the block with
    ``KeyboardInterrupt``, without py4j's or the JVM's tracebacks (``_Interrupt``); SIGTERM
    likewise, with ``Terminated``, so that the block's own cleanup runs (it ended the process
    at once: an export's temporary folder stayed beside ``--out``)."""
    main = threading.current_thread() is threading.main_thread()
    if spark is None and main:
        require_pyspark()
        from pyspark.sql import SparkSession

        # active sessions are per thread in the JVM: asked here, not on the starting thread
        # (where a session the caller had started read as none, and was stopped at the end)
        spark = SparkSession.getActiveSession()
    if spark is not None or not main:
        created = False
        if spark is None:
            spark, created = get_session(master, progress=progress)
        try:
            yield spark
        finally:
            if created:
                spark.stop()
        return
    interrupt = _Interrupt()
    before: Any = signal.signal(signal.SIGINT, interrupt)
    before_term: Any = signal.signal(signal.SIGTERM, interrupt)
    py4j = logging.getLogger("py4j")
    level = py4j.level
    logging.getLogger().addFilter(interrupt)
    try:
        spark, created = interrupt.start(master, progress)
        try:
            yield spark
        except (KeyboardInterrupt, Terminated):
            if created:  # not again in ``finally``: a second signal may end the wait
                created = False
                _stop_aside(spark)
            raise
        except Exception:
            if not interrupt.hit:
                raise
            # a Ctrl-C inside a collect (DataFrame.toArrow) is replaced by the cancelled
            # job's Py4JJavaError, which pyspark raises in a finally: a Python traceback
            # and Java stack traces, exit 1, in place of "interrupted"
            if created:
                created = False
                _stop_aside(spark)
            raise interrupt.stop() from None
        finally:
            if created:
                spark.stop()
    finally:
        signal.signal(signal.SIGINT, before if before is not None else signal.SIG_DFL)
        signal.signal(signal.SIGTERM, before_term if before_term is not None else
                      signal.SIG_DFL)
        logging.getLogger().removeFilter(interrupt)
        py4j.setLevel(level)


def say(show: bool, message: str) -> None:
    """A progress line on stderr when ``show``."""
    if show:
        print(message, file=sys.stderr, flush=True)
