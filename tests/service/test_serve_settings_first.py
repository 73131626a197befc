"""``serve`` refuses a setting it cannot take (misspelt, of the wrong type, out of range)
before it loads the model, naming the variable: the model was loaded first (seconds for a
large one), to be thrown away."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_fixtures import save_model

from recommender.errors import InvalidParameterError

#: a port the test never binds (uvicorn.run and check_address are stubbed): port 0 is
#: bound by serve itself, to say the port the system chose, and would really serve
UNBOUND = 18999


def _server_counting_loads(tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A saved model and the paths ``load_engine`` is asked for, with ``serve`` kept from
    binding a port or running uvicorn."""
    import uvicorn

    import recommender.serving.engine as engine
    from service import server

    model = save_model(tmp_path / "model")
    loads: list[str] = []
    real = engine.load_engine
    monkeypatch.setattr(engine, "load_engine", lambda path, *a, **k: loads.append(path)
                        or real(path, *a, **k))
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setattr(server, "check_address", lambda *a, **k: None)
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(model))  # serve sets it: restored after
    return model, loads


@pytest.mark.parametrize("name, value, why", [
    ("RECOMMENDER_MAXK", "50", "is not a setting (did you mean RECOMMENDER_MAX_K?)"),
    ("RECOMMENDER_MAX_K", "ten", "RECOMMENDER_MAX_K: Input should be a valid integer"),
    ("RECOMMENDER_CACHE_MB", "-1", "RECOMMENDER_CACHE_MB: Input should be greater than"),
])
def test_a_refused_setting_is_said_before_the_model_is_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str,
        why: str) -> None:
    from service import server

    model, loads = _server_counting_loads(tmp_path, monkeypatch)
    server.serve(str(model), port=UNBOUND)
    assert loads  # the oracle: a server that starts loads the model
    loads.clear()
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidParameterError, match=r"^refused setting: ") as refused:
        server.serve(str(model), port=UNBOUND)
    assert why in str(refused.value)
    assert loads == []


@pytest.mark.parametrize("name, value, why", [
    ("RECOMMENDER_MODELS_ROOT", "{tmp}/no-such-folder", "is not a folder"),
    ("RECOMMENDER_PSEUDONYM_KEY", "short", "the pseudonym key is 5 bytes"),
    ("RECOMMENDER_STORE", "mysql://db/campaigns", "got mysql://"),
])
def test_a_setting_refused_at_start_is_said_before_the_model_is_loaded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str,
        why: str) -> None:
    """The start's own checks (``check_at_start``: a models root, a key, a store URL) came
    after the model was loaded too, each a setting the server refuses as the others."""
    from service import server

    model, loads = _server_counting_loads(tmp_path, monkeypatch)
    monkeypatch.setenv(name, value.format(tmp=tmp_path))
    with pytest.raises(InvalidParameterError, match=rf"^refused setting: {name}: ") as refused:
        server.serve(str(model), port=UNBOUND)
    assert why in str(refused.value)
    assert loads == []
