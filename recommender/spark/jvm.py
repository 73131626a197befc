"""The JVM pyspark starts for a session, its stderr passed on without the lines every start prints.

Each start of Spark's JVM printed, outside any log: the JDK's ``WARNING: Using incubator
modules: jdk.incubator.vector`` (Spark's launcher always adds that module) and, where no system
BLAS or LAPACK is installed, netlib's ``netlib-blas: JNI_OnLoad: dlopen(libblas.so.3) failed:
...`` (it then computes in Java). No option or log configuration removes them (the first is
the JDK's own, the second native code's), so the JVM's stderr comes through a pipe and a thread
passes everything else on to this process's stderr as it comes: why the JVM could not start,
a crash, Spark's progress bar, what a log4j configuration of the user's writes there.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark import SparkConf

#: the lines dropped, each whole (without its end)
NOISE = re.compile(rb"WARNING: Using incubator modules: jdk\.incubator\.vector"
                   rb"|netlib-\w+: JNI_OnLoad: dlopen\([^)\r\n]*\) failed: [^\r\n]*")
_STARTS = (b"WARNING: Using incubator modules: ", b"netlib-")
_END = re.compile(rb"[\r\n]")  # a progress bar redraws its line after "\r"
_HOLD_MAX = 4096  # bytes of an unended line held back as maybe noise, then passed on
RELAY_WAIT = 5.0  # seconds a JVM that did not start has to finish saying why


class NoiseFilter:
    """Drops the ``NOISE`` lines from a byte stream fed in pieces. The start of a line that
    may be one is held until its end; any other is passed on at once (a progress bar's line
    never ends)."""

    def __init__(self) -> None:
        self.held = b""
        self.passing = False  # the line being read is not noise: passed on as it comes

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        data, self.held = self.held + data, b""
        while data:
            end = _END.search(data)
            cut = end.end() if end else len(data)
            piece, data = data[:cut], data[cut:]
            if end is None and not self.passing and _may_be_noise(piece):
                self.held = piece
            elif self.passing or end is None or not NOISE.fullmatch(piece[:-1]):
                out += piece
                self.passing = end is None
        return bytes(out)

    def flush(self) -> bytes:
        """What is held at the stream's end: a line that ended without its end of line."""
        held, self.held = self.held, b""
        return held


def _may_be_noise(start: bytes) -> bool:
    return len(start) <= _HOLD_MAX and any(
        s.startswith(start) or start.startswith(s) for s in _STARTS)


def _write(data: bytes) -> None:
    with contextlib.suppress(OSError):  # stderr closed: the pipe is still drained
        while data:
            data = data[os.write(2, data):]


def _relay(fd: int) -> None:
    """Pass the pipe ``fd`` on to stderr (file descriptor 2, the JVM's before) until every
    writer has closed it; it is read to the end, so the JVM never waits on a full pipe."""
    noise = NoiseFilter()
    try:
        while chunk := os.read(fd, 65536):
            _write(noise.feed(chunk))
        _write(noise.flush())
    finally:
        os.close(fd)


def launch(conf: SparkConf) -> Any:
    """pyspark's ``launch_gateway(conf)`` (the gateway to a JVM started by ``spark-submit``),
    the JVM's stderr through ``_relay``. When the JVM exits before it listens, pyspark's error
    is raised once what the JVM said has been passed on (or ``RELAY_WAIT`` has passed)."""
    from pyspark.java_gateway import launch_gateway

    read, write = os.pipe()
    relay = threading.Thread(target=_relay, args=(read,), name="spark-jvm-stderr",
                             daemon=True)
    relay.start()
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write})
    except BaseException:
        os.close(write)
        relay.join(RELAY_WAIT)  # the JVM's reason before the caller's one-line error
        raise
    os.close(write)  # the JVM holds its own copy: the relay ends when the JVM does
    atexit.register(_drain, relay, read, getattr(gateway, "proc", None))
    return gateway


def _drain(relay: threading.Thread, fd: int, proc: Any) -> None:
    """At this process's exit, what the JVM wrote is passed on first: all of it when the JVM
    has ended (it crashed, and says why as the command fails), else what the pipe holds now
    (the JVM ends after this process, when its stdin closes)."""
    if proc is not None and proc.poll() is not None:
        relay.join(RELAY_WAIT)
        return
    try:
        import fcntl
        import termios
    except ImportError:  # not POSIX
        return
    deadline = time.monotonic() + 1.0
    while relay.is_alive() and time.monotonic() < deadline:
        try:
            held = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
        except OSError:
            return
        if not any(held):
            return
        time.sleep(0.01)
