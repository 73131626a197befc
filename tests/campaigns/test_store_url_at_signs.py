"""A store URL whose password holds an unencoded ``@``, or whose query gives a port that is not
a number, is refused in one line that shows no part of the password: ``u:p@ss:w0rd@db`` showed
``u:***@ss:w0rd@db`` (the hiding stopped at the first ``@``), ``u:p@ss@db`` reached the driver,
which named the host ``'ss@db'``, and ``?port=abc`` was a traceback (exit 1) from every command
that takes ``--store`` or reads ``RECOMMENDER_STORE``, and from the service's start."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from recommender.campaigns.connection import parse_store_url
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import InvalidParameterError

#: the password's parts: none may be shown
SECRET = ("s3cret", "w0rd")


@pytest.mark.parametrize("target", ["postgresql://crm:{pw}@db:5432/campaigns",
                                    "postgresql://crm:{pw}@db/campaigns",
                                    "postgresql://crm:{pw}@db/campaigns?connect_timeout=1"])
@pytest.mark.parametrize("password", ["s3cret@w0rd", "s3cret:x@w0rd"])
def test_an_unencoded_at_sign_shows_no_part_of_the_password(
        target: str, password: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the oracle: the same URL with the password percent-encoded names the host db
    encoded = parse_store_url(target.format(pw=quote(password, safe="")))
    assert encoded.host == "db" and encoded.password == password
    given = target.format(pw=password)
    with pytest.raises(InvalidParameterError, match="not a database URL") as caught:
        open_store(given)
    assert not any(s in str(caught.value) for s in SECRET), caught.value
    assert "%40" in str(caught.value)  # how to write it
    assert main(["campaign", "list", "--store", given]) == 2
    monkeypatch.setenv("RECOMMENDER_STORE", given)
    assert main(["campaign", "list"]) == 2
    out, err = capsys.readouterr()
    assert err.count("not a database URL") == 2 and "RECOMMENDER_STORE: " in err
    assert not any(s in out + err for s in SECRET), err
    _serve_refuses(given)


@pytest.mark.parametrize("query", ["port=abc", "host=a&host=b&port=1&port=x"])
def test_a_port_in_the_query_that_is_no_number_is_one_line(
        query: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    given = f"postgresql://crm:s3cret@db/campaigns?{query}"
    parse_store_url("postgresql://crm:s3cret@db/campaigns?port=5432")  # the oracle: a number
    assert main(["campaign", "list", "--store", given]) == 2
    monkeypatch.setenv("RECOMMENDER_STORE", given)
    assert main(["campaign", "list"]) == 2
    out, err = capsys.readouterr()
    assert err.count("error: ") == 2 and err.count("not a database URL") == 2, err
    assert "s3cret" not in out + err
    _serve_refuses(given)


def _serve_refuses(target: str) -> None:
    from service.server import check_at_start
    from service.settings import Settings

    with pytest.raises(InvalidParameterError, match="RECOMMENDER_STORE") as refused:
        check_at_start(Settings(store=target))
    assert not any(s in str(refused.value) for s in SECRET)
