"""The Host names a server answers: a server bound to a loopback address answers its own only.

A server started on a laptop (``recommender serve`` binds 127.0.0.1 by default, open without
keys for a trial) answered any ``Host``: a web page whose name an attacker rebinds to 127.0.0.1
(DNS rebinding) could read audience lists from it and post events to it, as the browser took
the requests for the page's own. ``serve`` on a loopback address therefore answers the Host
names ``localhost``, ``127.0.0.1`` and ``::1`` only (any port), unless
``RECOMMENDER_ALLOWED_HOSTS`` names the ones to answer (a proxy that passes its own Host; ``*``
answers any). A request naming another gets 400, saying so; one with no Host (an HTTP/1.0
probe) is answered, as no browser sends one. A server bound to any other address
checks the Host's name only when ``RECOMMENDER_ALLOWED_HOSTS`` is set.

Whatever the names, a Host that is no host name, IP address or bracketed IPv6 address with an
optional port (:func:`well_formed`) is a 400 (RFC 9112 asks it of a server): the name was the
part before the last colon, so ``localhost:80@evil.com`` (a user and password, as a URL
writes them) was answered as ``localhost``.

A request target in absolute form (``GET http://127.0.0.1:8000/health HTTP/1.1``, which RFC 9112
§3.2.2 says a server must accept) is read as its path and query (:class:`AbsoluteTarget`):
uvicorn handed the whole URL on as the path, so no route matched it (``/health`` was a 401, a
film page a 404). The target's host is checked as a Host is, beside the Host header: a target
naming another host is the 400 that Host would be.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = "localhost,127.0.0.1,::1"
ENV = "RECOMMENDER_ALLOWED_HOSTS"
#: where :class:`AbsoluteTarget` leaves the host an absolute-form target named
TARGET_HOST = "target_host"
_ABSOLUTE = re.compile(rb"(?i)https?://([^/?#]*)(.*)", re.S)


#: an IPv4 address in a form ``inet_aton`` reads beside the dotted quad: fewer parts
#: (``127.1``), hexadecimal or octal parts (``0x7f.1``), one number (``2130706433``)
_INET_ATON = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}",
                        re.IGNORECASE)


def is_loopback(host: str) -> bool:
    """Whether ``serve``'s ``host`` is a loopback address (or ``localhost``): ``127.1`` too,
    which the server binds as 127.0.0.1 (the resolver reads it as ``inet_aton`` does), and was
    taken for a network address (the open-network warning said so, and the Host check that
    guards a loopback server from DNS rebinding was left off)."""
    name = host.strip()
    if name.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        pass
    if not _INET_ATON.fullmatch(name):
        return False
    try:
        return ipaddress.ip_address(socket.inet_ntoa(socket.inet_aton(name))).is_loopback
    except OSError:
        return False


def host_name(header: str) -> str:
    """The name of a ``Host`` header, without its port and brackets, in lower case:
    ``[::1]:8000`` is ``::1``, ``Example.COM.:80`` is ``example.com``."""
    text = header.strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0].rstrip(".") if text.count(":") == 1 else text.rstrip(".")


#: a DNS name or IPv4 address (letters, digits, ``-``, ``_``, dots between labels; the root's
#: dot at the end is dropped before, ``_root_dot_dropped``, so no two runs here take a dot), or
#: a bracketed IPv6 address; then an optional port (digits, possibly none)
_WELL_FORMED = re.compile(r"(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{0,5})?",
                          re.IGNORECASE)


def _root_dot_dropped(header: str) -> str:
    """``header`` without the DNS root's dot ending its name (``example.com.:8000``)."""
    host, colon, port = header.partition(":")
    return (host[:-1] if host.endswith(".") else host) + colon + port


def well_formed(header: str) -> bool:
    """Whether a ``Host`` header is a host name or address and an optional port: no user or
    password (``localhost:80@evil.com``), path, space or other character a name cannot
    hold. An unbracketed IPv6 address (``::1``, which no client should send) is taken when
    it parses as one, as before."""
    if _WELL_FORMED.fullmatch(_root_dot_dropped(header)):
        return not header.startswith("[") or _address(header[1:header.index("]")])
    return header.count(":") > 1 and _address(header)


def _address(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


def allowed(setting: str) -> frozenset[str] | None:
    """The names ``RECOMMENDER_ALLOWED_HOSTS`` allows, or None for any (blank or ``*``)."""
    names = frozenset(host_name(n) for n in setting.split(",") if n.strip())
    return None if not names or "*" in names else names


class AllowedHosts:
    """ASGI middleware: 400 to a request whose ``Host`` is not :func:`well_formed` or, unless
    ``hosts`` is None (any name), is none of ``hosts``."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = next((v.decode("latin-1") for k, v in scope.get("headers", [])
                         if k == b"host"), "")
            # no Host at all (an HTTP/1.0 health probe): no browser sends that, so no page
            why, given = None, host
            for given in (host, str(scope.get(TARGET_HOST, ""))):  # the target's: as a Host
                why = self._why(given)
                if why is not None:
                    break
            if why is not None:
                body = json.dumps({"detail": (
                    f"this server does not answer the Host {given!r}: {why}")}).encode()
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _why(self, given: str) -> str | None:
        """Why the Host (or an absolute-form target's host) ``given`` is refused, or None."""
        if given and not well_formed(given):
            return ("it is no host name or address with an optional port (a Host holds "
                    "no user, password, path or other character)")
        if given and self.hosts is not None and host_name(given) not in self.hosts:
            return (f"it answers {', '.join(sorted(self.hosts))} ({ENV}; a server bound "
                    "to a loopback address answers its own names only, so that no web "
                    f"page reaches it through a rebound DNS name: set {ENV} to the names "
                    "a proxy passes)")
        return None


class AbsoluteTarget:
    """ASGI middleware: a request target in absolute form (``http://HOST/PATH?QUERY``, http or
    https) read as its path (``/`` when none) and query, its host left in
    ``scope[TARGET_HOST]`` for :class:`AllowedHosts` (module docstring); any other target is
    handed on as it came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            root = str(scope.get("root_path", "") or "").encode("latin-1")
            raw = bytes(scope.get("raw_path") or str(scope.get("path", "")).encode("latin-1"))
            found = _ABSOLUTE.fullmatch(raw[len(root):] if raw.startswith(root) else raw)
            if found is not None:
                target = found.group(2) or b"/"
                path, _, query = target.partition(b"?")
                scope = {**scope, TARGET_HOST: found.group(1).decode("latin-1") or "?",
                         "raw_path": root + path,
                         "path": root.decode("latin-1") + unquote(path.decode("latin-1")),
                         "query_string": query or scope.get("query_string", b"")}
        await self.app(scope, receive, send)
