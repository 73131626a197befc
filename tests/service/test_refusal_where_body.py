"""A library's 422 on a route whose body is optional (``POST /campaigns/{id}/next``:
``NextWaveRequest | None``) is placed at the body field its words name, read through the
union, its whole name before a stem and, of several, the one named first."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.requests import Request

from service.refusal_where import body_fields, named_in
from service.routes.events import NextWaveRequest
from service.routes.events import router as events_router


def _request() -> Request:
    route = next(r for r in events_router.routes if isinstance(r, APIRoute)
                 and r.path.endswith("/next") and "POST" in r.methods)
    return Request({"type": "http", "method": "POST", "query_string": b"", "headers": [],
                    "path": "/campaigns/plan-1/next", "route": route})


def test_an_optional_bodys_fields_are_read_through_its_union() -> None:
    # the oracle: the model's own fields, as a request spells them
    assert body_fields(_request()) == [f.alias or n for n, f
                                       in NextWaveRequest.model_fields.items()]


def test_the_field_the_words_name_first_by_its_whole_name() -> None:
    request = _request()
    # "sent_waves" is named whole; "waves" only inside it (it was ('body',) alone)
    assert named_in(request, "sent_waves must be at most the 2 waves of plan plan-1, "
                             "got 5") == ("body", "sent_waves")
    # seed and holdout both named: seed first; "wave" (waves' stem) comes after both (it was
    # placed at waves, a field the request never sent)
    assert named_in(request, "seed draws the control groups only, and a holdout of 0 holds "
                             "out none: the seed changes nothing (the holdout of plan plan-1, "
                             "which this wave keeps); leave seed out") == ("body", "seed")
    assert named_in(request, "nothing named here") == ("body",)
