"""The browser tests' direct calls to the server they drive: a JSON body, or a text body."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def api(served: Any, path: str, body: Any = None, timeout: float = 30) -> Any:
    """GET ``path`` (POST ``body`` as JSON when given) from ``served``; the decoded JSON."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{served.base}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.loads(r.read())


def api_text(served: Any, path: str) -> str:
    with urllib.request.urlopen(f"{served.base}{path}", timeout=30) as r:
        return r.read().decode("utf-8")


def file_name(*parts: str) -> str:
    """The name a Studio download should carry: ``parts`` (empty ones left out) made safe as
    the server's own audience.csv names its parts (``service/routes/films.py``), joined by
    "_"."""
    from service.routes.films import _safe_filename

    return "_".join(_safe_filename(p) for p in parts if p) + ".csv"
