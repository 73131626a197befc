"""A ``RECOMMENDER_MIN_CELL`` that training (and every command) takes, ``serve`` takes too, as
the same number: ``int()`` read ``٥`` (an Arabic-Indic five) or a full-width ``５`` as 5, so a
model trained under it could not be served with it ("Input should be a valid integer"). An
empty value (``RECOMMENDER_MIN_CELL=$CELL`` with ``CELL`` unset) was the default 10 to every
command and refused by ``serve``, as every empty number is: refused by both now."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from recommender.errors import InvalidParameterError
from recommender.model.min_cell import min_cell_from_env
from service.settings import Settings


@pytest.mark.parametrize("value", ["5", " 5 ", "+5", "05", "1_0", "٥", " ５", "5.0", "0",
                                   "ten", "-3", "", " "])
def test_what_a_command_takes_the_server_takes(value: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", value)
    try:
        taken: int | None = min_cell_from_env()
    except InvalidParameterError:
        taken = None
    try:  # the oracle: the server's settings, read by pydantic from the same variable
        served: int | None = Settings().min_cell
    except ValidationError:
        served = None
    if taken is not None:
        assert served == taken, (value, taken, served)
