"""Audience Studio in Chromium: the page's weight as served and time until the film page is usable.

    python benchmarks/bench_studio.py [--quick] [--repeats N] [--screenshots docs/studio]
    python benchmarks/bench_studio.py --render-only    # studio.json -> studio.md, no measuring
    python benchmarks/bench_studio.py --weight-only    # re-measure the page weight alone

Serves the demo model with ``recommender serve``, opens the film page in Debian's Chromium
(driven by Playwright) with no internet (requests leaving the server are aborted), and measures,
per load, the time from navigation start to the moment the audience funnel and the first row of
the audience table are drawn (``performance.now()`` in the page). The page weight is the bytes
the browser receives: every file the page loads (the page, its stylesheet, each module it
imports, followed from ``app.js``), fetched from that server uncompressed (``Accept-Encoding:
identity``); the sources' own size is kept beside it. Writes ``results/studio.{json,md}``.
With ``--screenshots DIR`` it also saves one PNG per screen, the images the README shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import common

STUDIO = common.ROOT / "service" / "studio"
CHROMIUM = os.environ.get("RECOMMENDER_TEST_CHROMIUM") or shutil.which("chromium") or ""
GOAL_MS = 1000.0
WEIGHT_GOAL_KB = 300.0  # KiB (the sizes are summed in bytes and divided by 1024)
REPEATS = 15
QUICK_REPEATS = 3


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def source_weight() -> dict[str, int]:
    """The bytes of each file under service/studio, as stored (the page weight's definition
    until the server sent the modules without their comments)."""
    files = sorted(p for p in STUDIO.rglob("*") if p.is_file())
    return {str(p.relative_to(common.ROOT)): p.stat().st_size for p in files}


def _fetch(url: str) -> bytes:
    """``url``'s body as sent, asked uncompressed; a compressed answer is an error."""
    ask = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    with urllib.request.urlopen(ask, timeout=30) as r:
        if r.headers.get("Content-Encoding", "identity") != "identity":
            raise RuntimeError(f"{url} came {r.headers['Content-Encoding']}-encoded")
        return bytes(r.read())


_REFS = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="([^"]+)"')
_IMPORTS = re.compile(r"""\b(?:import|export)\s*(?:[\w$*{},\s]+?\s*from\s*)?\(?\s*"""
                      r"""["']([^"']+)["']""")


def served_weight(base: str) -> dict[str, int]:
    """The bytes the browser receives for every file the Studio's page loads, by path: the
    page, what it links and scripts, and each module those import or re-export, followed."""
    page = f"{base}/studio/"
    sizes: dict[str, int] = {}
    body = _fetch(page)
    sizes[urllib.parse.urlsplit(page).path] = len(body)
    todo = [urllib.parse.urljoin(page, ref) for ref in _REFS.findall(body.decode("utf-8"))
            if not ref.startswith("data:")]
    while todo:
        url = todo.pop()
        path = urllib.parse.urlsplit(url).path
        if path in sizes:
            continue
        body = _fetch(url)
        sizes[path] = len(body)
        if path.endswith(".js"):
            todo += [urllib.parse.urljoin(url, ref)
                     for ref in _IMPORTS.findall(body.decode("utf-8"))]
    return dict(sorted(sizes.items()))


def page_weight(base: str) -> dict[str, Any]:
    """The Studio's weight as served from ``base`` (the goal's figure) and its sources'."""
    served, sources = served_weight(base), source_weight()
    return {"definition": "served", "files": served,
            "total_kb": round(sum(served.values()) / 1024, 1), "goal_kb": WEIGHT_GOAL_KB,
            "source_files": sources, "source_kb": round(sum(sources.values()) / 1024, 1)}


def serve_demo(root: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, Any]]:
    data, model = root / "data", root / "model"
    cli = [sys.executable, "-m", "recommender.cli"]
    subprocess.run([*cli, "demo-data", str(data)], check=True, capture_output=True)
    subprocess.run([*cli, "train", "--data", str(data), "--out", str(model)], check=True,
                   capture_output=True)
    port = _port()
    env = {**os.environ, "RECOMMENDER_STORE": str(root / "campaigns.db")}
    proc = subprocess.Popen([*cli, "serve", str(model), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    manifest = json.loads((data / "demo.json").read_text())
    return proc, base, manifest


def measure(base: str, film_id: str, repeats: int, shots: Path | None) -> list[float]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    fid = urllib.parse.quote(film_id, safe="")
    times: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        for i in range(repeats):
            ctx = browser.new_context(viewport={"width": 1366, "height": 900})
            page = ctx.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                       else r.abort())
            page.goto(f"{base}/studio/#/film/{fid}")
            page.wait_for_selector("ol.funnel li")
            page.wait_for_selector("section[aria-labelledby='s-audience'] tbody tr")
            times.append(float(page.evaluate("performance.now()")))
            if shots is not None and i == 0:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / "film.png"), full_page=True)
                for name, url, ready in [
                    ("overview", "#/", "text=Served model"),
                    ("search", "#/search?q=the", "table"),
                    ("build", "#/build", "text=Lookalikes"),
                ]:
                    page.goto(f"{base}/studio/{url}")
                    page.wait_for_selector(ready)
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                plan_screens(page, base, shots)
                distribute_screen(page, base, shots)
            ctx.close()
        browser.close()
    return times


def plan_screens(page: Any, base: str, shots: Path) -> None:
    """Plan a two-film slate in the studio, then open its campaign page."""
    page.goto(f"{base}/studio/#/plan")
    for word in ("painted", "carnival"):
        page.fill("#slate-search", word)
        page.locator("ul.found button", has_text=re.compile(word, re.I)).first.click()
    page.fill("#holdout", "0.2")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")
    page.screenshot(path=str(shots / "plan.png"), full_page=True)
    page.get_by_role("link", name="Open this campaign").click()
    page.wait_for_selector("text=Uplift against the control group")
    page.screenshot(path=str(shots / "campaign.png"), full_page=True)


def distribute_screen(page: Any, base: str, shots: Path) -> None:
    """A new film's demand by region, and two films sharing the server's cinemas."""
    page.goto(f"{base}/studio/#/distribute")
    page.fill("#dnew-search", "painted")
    page.locator("ul.found button", has_text=re.compile("painted", re.I)).first.click()
    page.fill("#dnew-genres", "Drama")
    page.fill("#dnew-screens", "120")
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dist-total")
    for word in ("painted", "carnival"):
        page.fill("#dslate-search", word)
        page.locator("ul.found button", has_text=re.compile(word, re.I)).first.click()
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")
    page.screenshot(path=str(shots / "distribute.png"), full_page=True)


def chromium_name(version: str) -> str:
    """``chromium --version``'s line, with "Chromium" said once whether or not it starts so."""
    version = version.strip()
    return version if version.lower().startswith("chromium") else f"Chromium {version}"


def weight_source(doc: dict[str, Any]) -> str:
    """Where the page weight comes from: the browser run's commit, or a later
    ``--weight-only`` run's date and commit when one re-measured it alone."""
    again = doc["page_weight"].get("measured")
    if not again:
        return "The page weight is that of the files at that commit."
    return (f"The page weight was measured again alone (`--weight-only`) "
            f"{common.run_date(again)} ({common.provenance(again.get('machine'))}, load average "
            f"{common.load_text(again.get('machine', {}).get('load_average_at_start'))}): it is "
            f"that of the files at that commit, {len(doc['page_weight']['files'])} files"
            f"{' the page loads' if served(doc) else ''}; the browser timings are not re-run.")


def served(doc: dict[str, Any]) -> bool:
    """Whether the page weight is the bytes served (else, a result from before: the sources')."""
    return doc["page_weight"].get("definition") == "served"


def weight_rows(doc: dict[str, Any]) -> list[str]:
    """The page weight's rows: the bytes the browser receives, judged against the goal, and
    the sources' size beside them; a result from before that change judged its sources."""
    w = doc["page_weight"]
    verdict = "met" if w["total_kb"] <= WEIGHT_GOAL_KB else "**missed**"
    if not served(doc):
        return [f"| the studio's own files, uncompressed (KiB = 1,024 bytes) | "
                f"{w['total_kb']:.1f} KiB | ≤ {WEIGHT_GOAL_KB:.0f} KiB | {verdict} |"]
    return [f"| the Studio as the browser receives it: every file the page loads, served by "
            f"`recommender serve`, uncompressed (KiB = 1,024 bytes) | {w['total_kb']:.1f} KiB | "
            f"≤ {WEIGHT_GOAL_KB:.0f} KiB | {verdict} |",
            f"| its source files in `service/studio/`, comments included (not what is sent) | "
            f"{w['source_kb']:.1f} KiB | – | – |"]


def weight_note(doc: dict[str, Any]) -> list[str]:
    """What the page weight counts, and since when (a figure of the sources is not the same)."""
    if not served(doc):
        return []
    return ["The page weight is the bytes the browser receives: the page, its stylesheet and "
            "every JavaScript module it imports (followed from `app.js`), each fetched from the "
            "server with `Accept-Encoding: identity` and summed. The server sends the modules "
            "without their comments (`service/studio_js.py`), so this is less than the "
            "sources' size in the second row. Earlier results of this page summed the source "
            "files instead: those figures measured the sources, not what is sent, and are not "
            "comparable with the first row.", ""]


def render_md(doc: dict[str, Any]) -> str:
    t = doc["film_page_ms"]
    load = doc["machine"].get("load_average_at_start")
    return "\n".join([
        "# Audience Studio in the browser",
        "",
        f"Measured by `benchmarks/bench_studio.py` on {doc['finished']} "
        f"({chromium_name(doc['chromium'])}, load average {common.load_text(load)}; "
        f"{common.provenance(doc.get('machine'))}). {weight_source(doc)}",
        "",
        "| figure | measured | goal | verdict |",
        "|---|---|---|---|",
        f"| film page usable (funnel and table drawn), median of {t['n']} loads | "
        f"{t['p50']:.0f} ms (p90 {t['p90']:.0f} ms) | ≤ {GOAL_MS:.0f} ms | "
        f"{'met' if t['p50'] <= GOAL_MS else '**missed**'} |",
        *weight_rows(doc),
        "",
        *weight_note(doc),
        "Time runs from navigation start to the moment the audience funnel and the first row of "
        "the audience table are in the page (`performance.now()`), on the demo model served by "
        "`recommender serve` on this machine, each load in a fresh browser context.",
        "",
    ])


def remeasure_weight(quick: bool) -> int:
    """Measure the Studio's weight again, served by ``recommender serve`` on the demo model,
    and store it in studio.json beside the browser timings it leaves as they are, with the
    date, commit and load of this run."""
    src = common.results_dir(quick) / "studio.json"
    doc = common.saved_result("studio", quick, "bench_studio.py")
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, _ = serve_demo(Path(tmp))
        try:
            weight = page_weight(base)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    doc["page_weight"] = {**weight, "measured": {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": common.machine_facts()}}
    src.write_text(json.dumps(doc, indent=1) + "\n")
    src.with_suffix(".md").write_text(render_md(doc))
    return 0


def repeats(given: int | None, quick: bool) -> int:
    """Page loads to time: --repeats if given, else fewer with --quick."""
    return given if given is not None else (QUICK_REPEATS if quick else REPEATS)


def main() -> int:
    ap = common.base_args(__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=None,
                    help=f"page loads to time (default {REPEATS}, {QUICK_REPEATS} with --quick)")
    ap.add_argument("--screenshots", type=Path, default=None)
    ap.add_argument("--render-only", action="store_true",
                    help="measure nothing: rewrite studio.md from studio.json")
    ap.add_argument("--weight-only", action="store_true",
                    help="re-measure only the page weight (served by the demo model's server, no "
                         "browser): rewrite that part of "
                         "studio.json, with its date, commit and load, then studio.md")
    args = ap.parse_args()
    if args.weight_only:
        return remeasure_weight(args.quick)
    if args.render_only:
        src = common.results_dir(args.quick) / "studio.json"
        if not src.is_file():
            raise SystemExit(f"{src} is missing: run benchmarks/bench_studio.py to measure it")
        src.with_suffix(".md").write_text(render_md(json.loads(src.read_text())))
        return 0
    if not CHROMIUM:
        print("error: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, manifest = serve_demo(Path(tmp))
        try:
            times = measure(base, manifest["example_film_id"],
                            repeats(args.repeats, args.quick), args.screenshots)
            weight = page_weight(base)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    doc = {"film_page_ms": {**common.stats(times), "goal": GOAL_MS},
           "page_weight": weight, "chromium": version.strip()}
    out = common.write_result("studio", doc, args.quick)
    saved = json.loads(out.read_text())
    out.with_suffix(".md").write_text(render_md(saved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
