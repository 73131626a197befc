"""Regenerate the README's HTTP examples from the demo model, so every response shown is real.

    .venv/bin/python scripts/readme_examples.py [MODEL_DIR] [DATA_DIR]

Sends each example request to the app (in-process, the same app `recommender serve` runs),
trims long lists, and rewrites the README between the `http-examples` markers.
"""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path
from typing import Any

from recommender.model import artifact

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8000"
START, END = "<!-- http-examples:start -->", "<!-- http-examples:end -->"


def trim(obj: Any, n: int = 3) -> Any:
    """Cut lists to their first ``n`` entries, noting how many were left out."""
    if isinstance(obj, list):
        head = [trim(x, n) for x in obj[:n]]
        return head + ([f"... {len(obj) - n} more"] if len(obj) > n else [])
    if isinstance(obj, dict):
        return {k: trim(v, n) for k, v in obj.items()}
    return obj


def example_inputs(model_dir: str, data_dir: str) -> dict[str, Any]:
    """Real ids from the demo data for the examples: a film, a title word, a user, lookalike
    seeds (members of one planted taste group) and comparable films for a cold start."""
    model = artifact.load(model_dir)
    demo = json.loads((Path(data_dir) / "demo.json").read_text())
    film = demo["example_film_id"]
    title = str(model.catalog.titles[model.film_index(film)])
    with open(Path(data_dir) / "groups.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    group = demo["groups"][0]
    comparable = [str(model.films.ids[i]) for i in range(model.n_films)
                  if set(str(model.catalog.genres[i]).split("|")) >= set(group["genres"])][:2]
    return {
        "film": film,
        "word": max(title.split(), key=len).lower(),
        "user": rows[0]["user_id"],
        "lookalike": {"seed_user_ids": [r["user_id"] for r in rows
                                        if r["group"] == str(group["group"])][:5], "k": 3},
        "cold": {"comparable_film_ids": comparable, "genres": group["genres"][:1], "k": 3},
    }


def main(model_dir: str = "build/demo-model", data_dir: str = "build/demo-data") -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    ex = example_inputs(model_dir, data_dir)
    film, word, user, lookalike, cold = ex["film"], ex["word"], ex["user"], ex["lookalike"], \
        ex["cold"]
    examples: list[tuple[str, str, str, dict[str, Any] | None, str]] = [
        ("Health and the served model", "GET", "/health", None, ""),
        ("Find a film", "GET", f"/films?query={word}&limit=3", None, ""),
        ("A film and its audience statistics", "GET", f"/films/{film}", None, ""),
        ("Its audience, best first (users who already watched it are left out)", "GET",
         f"/films/{film}/audience?k=3", None, ""),
        ("A later page: ranks 101-103 (pages walk the ranking; ?tier= walks one ring)",
         "GET", f"/films/{film}/audience?k=3&offset=100", None, ""),
        ("Tiers with expected conversion, segment split and demographic portrait", "GET",
         f"/films/{film}/audience/summary", None, ""),
        ("The audience as a CSV download", "GET", f"/films/{film}/audience.csv?k=1000", None,
         "csv"),
        ("Comparable films", "GET", f"/films/{film}/similar?k=3", None, ""),
        ("Films for a user, with the watched films that explain each", "GET",
         f"/users/{user}/recommendations?k=2", None, ""),
        ("Lookalikes of a seed list (the seeds are left out)", "POST", "/audiences/lookalike",
         lookalike, ""),
        ("A cold-start audience for a film with no history", "POST", "/audiences/cold-start",
         cold, ""),
        ("Its summary: tiers with expected conversion (its comparables' calibrations mixed), "
         "segment split and portrait", "POST", "/audiences/cold-start/summary",
         {k: v for k, v in cold.items() if k != "k"}, ""),
        ("Segments", "GET", "/segments", None, ""),
        ("Where its audience is: expected viewers by region, and 40 screens shared out", "GET",
         f"/films/{film}/distribution?by=region&screens=40", None, ""),
        ("Errors say what was wrong", "GET", f"/films/{film}/audience?k=0", None, ""),
        ("", "GET", "/films/nope/audience", None, ""),
    ]
    out: list[str] = [
        START,
        "Responses below are real, produced from the demo model by "
        "`scripts/readme_examples.py`; long lists are cut to their first entries "
        "(`\"... N more\"`); untrimmed ones are byte for byte what the server sends. "
        "`model_version` is the training time (to the second) and 8 hex digits of a digest "
        "of the data's fingerprint and the parameters, so yours differs.",
        "",
    ]
    # absolute, as `recommender serve` reports it in /health (shown under /path/to/checkout)
    served = str(Path(model_dir).resolve())
    with TestClient(create_app(Settings(model_path=served))) as client:
        # the examples show a server that has finished its background cache warm-up; it may
        # not have begun yet ("off": the events poller starts it after a quiet poll), so a
        # wait for "running" alone let /health show it half done
        deadline = time.monotonic() + 120
        while (client.app.state.service.engine.warm_status["state"] in ("off", "running")
               and time.monotonic() < deadline):
            time.sleep(0.05)
        for heading, method, path, body, kind in examples:
            r = client.request(method, path, json=body)
            if heading:
                out += [f"**{heading}**", ""]
            if method == "POST":
                cmd = (f"curl -s -X POST {BASE}{path} -H 'content-type: application/json' "
                       f"-d '{json.dumps(body)}'")
            else:
                cmd = f"curl -s '{BASE}{path}'"
            if kind == "csv":
                text = "\n".join(r.text.splitlines()[:4])
                cmd = f"curl -s '{BASE}{path}' | head -4"
            else:
                text = json.dumps(trim(r.json()), ensure_ascii=False, separators=(",", ":"))
                # /health's model path is absolute: the README showed the generating machine's
                text = text.replace(json.dumps(str(ROOT))[1:-1] + "/", "/path/to/checkout/")
            out += ["```console", f"$ {cmd}", text, "```", ""]
        r = client.get("/metrics")
        lines = [x for x in r.text.splitlines() if x.startswith("recommender_http_requests_total")]
        out += ["**Prometheus metrics** (with `--workers N`, every scrape counts the requests of "
                "every worker; after `make demo` the `/health` count also holds the demo script's "
                "own checks that the server is up)", "", "```console",
                f"$ curl -s {BASE}/metrics | grep '^recommender_http_requests_total' | head -3",
                *lines[:3], "```", ""]
    out.append(END)
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = "\n".join(out)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text,
                      flags=re.S)
    else:
        text += "\n" + block + "\n"
    readme.write_text(text, encoding="utf-8")
    print(f"updated {readme}")


if __name__ == "__main__":
    import argparse

    # `--help` was read as MODEL_DIR (a traceback), as readme_results.py's was (a rewrite)
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("model_dir", nargs="?", default="build/demo-model")
    cli.add_argument("data_dir", nargs="?", default="build/demo-data")
    main(**vars(cli.parse_args()))
