"""A ``RECOMMENDER_MAX_SLATE_CELLS`` every command takes, ``serve`` takes as the same number,
and one ``serve`` refuses, every command refuses (a command may refuse more: ``5.0``): an
empty value (``=$CELLS`` with ``CELLS`` unset) was the default 200,000 to the CLI and refused
by ``serve``, as ``RECOMMENDER_MIN_CELL``'s is by both."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recommender.distribution.slate_size import max_cells_from_env
from recommender.errors import InvalidParameterError
from service.settings import Settings


@pytest.mark.parametrize("value", ["5", " 5 ", "+5", "05", "1_000", "٥", " ５", "5.0", "0",
                                   "many", "-3", "", " "])
def test_what_a_command_takes_the_server_takes(value: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MAX_SLATE_CELLS", value)
    try:
        taken: int | None = max_cells_from_env()
    except InvalidParameterError as error:
        assert "RECOMMENDER_MAX_SLATE_CELLS" in str(error)
        taken = None
    try:  # the oracle: the server's settings, read by pydantic from the same variable
        served: int | None = Settings().max_slate_cells
    except ValidationError:
        served = None
    if taken is not None:  # the same number
        assert served == taken, (value, taken, served)
    if served is None:  # refused by serve: refused by every command ("5.0" the reverse only)
        assert taken is None, (value, taken, served)


def test_unset_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_MAX_SLATE_CELLS", raising=False)
    assert max_cells_from_env() == Settings().max_slate_cells == 200_000
