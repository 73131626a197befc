"""What Spark needs here: pyspark, a Java runtime and a master URL it takes, with install hints.

Each is refused with ``SparkUnavailableError`` saying what to install or how to write it,
before a JVM starts (``session.get_session`` checks them).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from recommender.errors import RecommenderError

#: the distribution's extra (``'.[spark]'`` installs it only from a source checkout)
PYSPARK_INSTALL = ("pip install 'film-audience-engine[spark]'  "
                   "(or: pip install 'pyspark>=4.0' 'pandas>=2.2.2,<3')")
JAVA_INSTALL = ("install a Java runtime, version 17 or later (Debian/Ubuntu: "
                "`sudo apt-get install default-jre-headless`), or set JAVA_HOME to one")


class SparkUnavailableError(RecommenderError):
    """``--engine spark`` cannot run here: pyspark or a Java runtime is missing."""


def require_pyspark() -> None:
    """Raise ``SparkUnavailableError`` (saying what to install) when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
        import pyspark.sql  # noqa: F401
    except ImportError as e:
        raise SparkUnavailableError(
            f"--engine spark needs pyspark, which is not installed ({e}); install it with "
            f"{PYSPARK_INSTALL}") from None


def check_java() -> str:
    """Path of the Java runtime Spark will start (``$JAVA_HOME/bin/java``, else ``java`` on
    PATH); raises ``SparkUnavailableError`` saying what to install when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if java.is_file() and os.access(java, os.X_OK):
            return str(java)
        raise SparkUnavailableError(
            f"--engine spark needs a Java runtime, but JAVA_HOME={home} has no bin/java; "
            f"fix JAVA_HOME or unset it, or {JAVA_INSTALL}")
    found = shutil.which("java")
    if found is None:
        raise SparkUnavailableError(
            f"--engine spark needs a Java runtime and none was found (no JAVA_HOME, no `java` "
            f"on PATH); {JAVA_INSTALL}")
    return found


def _is_local_master(master: str) -> bool:
    return master.startswith("local")


#: the master URLs Spark takes (its "Master URLs" page); checked before the JVM starts
_MASTER = re.compile(r"local(\[(\*|0*[1-9]\d*)(\s*,\s*\d+)?\])?"
                     r"|local-cluster\[\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\]|(spark|k8s)://\S+|yarn")


def check_master(master: str) -> None:
    """Refuse a master URL Spark does not take (``SparkUnavailableError`` saying the forms):
    each such one ended in a JVM stack trace and a hint to install Java."""
    if not _MASTER.fullmatch(master):
        raise SparkUnavailableError(
            f"--spark-master {master!r} is not a Spark master URL; expected local, local[N], "
            "local[*], spark://HOST:PORT, yarn or k8s://HOST:PORT")
