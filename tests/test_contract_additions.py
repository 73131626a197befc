"""docs/contract-additions.md is current, and the project keeps every name of the contract.

The page (``scripts/contract_additions.py``) lists the names the project adds to the shared
interface contract, ``../shared/docs/contract.md`` beside the checkout; it is regenerated into
a temporary folder here and must equal the committed one. The contract's names, read by the
script's parser, are checked independently against the running parser, the app's routes and
the settings.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT.parent / "shared" / "docs" / "contract.md"
PAGE = ROOT / "docs" / "contract-additions.md"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("contract_additions",
                                                  ROOT / "scripts" / "contract_additions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    if not CONTRACT.is_file():
        pytest.skip("../shared/docs/contract.md not found beside the checkout")
    return _script()


def test_page_is_current(script: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "contract-additions.md"
    assert script.main([str(CONTRACT), "--out", str(out)]) == 0  # 1: a contract name lacking
    assert out.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8"), (
        "docs/contract-additions.md is stale: run python scripts/contract_additions.py")


def test_no_contract_name_is_missing(script: ModuleType, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Every command, option, operation and query parameter the contract names exists, seen
    through argparse and HTTP requests rather than the script's readers."""
    from recommender.cli import build_parser
    from service.app import create_app
    from service.settings import Settings

    contract = script.parse_contract(CONTRACT.read_text(encoding="utf-8"))
    assert len(contract.commands) == 17 and len(contract.operations) == 23  # it parsed
    for command, options in contract.commands.items():
        with pytest.raises(SystemExit) as e:
            build_parser().parse_args([*command.split(), "--help"])
        assert e.value.code == 0, command
        shown = set(re.findall(r"--[a-z][a-z0-9-]*", capsys.readouterr().out))
        assert options <= shown, (command, options - shown)
    settings = Settings(model_path=str(save_model(tmp_path / "model")))
    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()
        for (method, path), params in contract.operations.items():
            if path in ("/", "/studio"):
                assert client.get(path, follow_redirects=False).status_code == 307
                continue
            op = spec["paths"][path][method.lower()]
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            assert params <= declared, (method, path)
    assert {f"RECOMMENDER_{n.upper()}" for n in Settings.model_fields} >= contract.settings
    assert script.missing(contract, script.read_surfaces()) == []


def test_the_query_forms_are_listed(tmp_path: Path) -> None:
    """The routes that take the id in the query (``GET /film?film_id=``...), answered by the
    raw-id layer before routing, are listed among the routes left out of the schema: each one
    the server answers (the oracle: requests, not ``QUERY_FORMS``) is on the page."""
    from service.app import create_app
    from service.settings import Settings

    page = PAGE.read_text(encoding="utf-8")
    forms = {"/film": "film_id", "/film/audience": "film_id", "/film/audience.csv": "film_id",
             "/film/audience/summary": "film_id", "/film/similar": "film_id",
             "/film/distribution": "film_id", "/user/recommendations": "user_id"}
    ids = {"film_id": "00000", "user_id": "u0"}
    settings = Settings(model_path=str(save_model(tmp_path / "model")), warm_cache=False)
    with TestClient(create_app(settings)) as client:
        for path, key in forms.items():
            r = client.get(path, params={key: ids[key]})
            assert r.status_code == 200, (path, r.text)
            assert client.get(path).status_code == 404  # no id: no such route
            assert f"| `GET {path}` | (not in the schema) " in page, path
