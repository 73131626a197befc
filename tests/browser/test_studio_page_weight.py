"""The page weight benchmarks/bench_studio.py reports is what the browser receives: every file
a load of the page fetches from the server, each at the size it arrives (the modules without
their comments: service/studio_js.py)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from helpers import load_benchmark

from service.studio_js import stripped


def test_the_page_weight_is_every_file_a_page_load_receives(watched: Any, served_demo: Any
                                                             ) -> None:
    """Chromium's own record of the load is the oracle: the benchmark follows the page's
    links and the modules' imports over HTTP, and must reach the same files at the same sizes
    (a module it missed, or a size read from the sources, would misstate the weight)."""
    received: dict[str, int] = {}

    def seen(response: Any) -> None:
        path = urllib.parse.urlsplit(response.url).path
        if path.startswith("/studio/") and response.status == 200:
            received[path] = len(response.body())

    page = watched.page
    page.on("response", seen)
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("text=Served model")
    page.wait_for_load_state("networkidle")
    bench = load_benchmark("bench_studio")
    assert bench.served_weight(served_demo.base) == dict(sorted(received.items()))
    module = next(p for p in received if p.endswith("/app.js"))
    source = (bench.STUDIO / "js" / "app.js").read_text(encoding="utf-8")
    assert received[module] == len(stripped(source).encode()) < len(source.encode())
    watched.assert_clean()
