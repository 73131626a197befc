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
