"""The CLI's refusal of a page above the server's bound says one sentence for --k and for
search's --limit (``page_size.above_the_servers``), byte for byte as each said it before.

Oracle: the sentences written out by hand, each with the bound the variable sets.
"""

from __future__ import annotations

import pytest

from recommender.errors import InvalidParameterError
from recommender.query.page_size import check_search_limit
from recommender.query.pages import check_served_k


@pytest.mark.parametrize("most", [3, 10_000])
def test_k_above_the_servers_page(monkeypatch: pytest.MonkeyPatch, most: int) -> None:
    monkeypatch.setenv("RECOMMENDER_MAX_K", str(most))
    with pytest.raises(InvalidParameterError) as e:
        check_served_k(most + 1)
    assert str(e.value) == (f"argument --k/-k: expected a number at most {most} (the largest "
                            f"page, RECOMMENDER_MAX_K, as the server's), got {most + 1}")
    check_served_k(most)  # the bound itself is served


@pytest.mark.parametrize("most", [3, 1000])
def test_limit_above_the_servers_search_page(monkeypatch: pytest.MonkeyPatch, most: int) -> None:
    monkeypatch.setenv("RECOMMENDER_MAX_SEARCH_LIMIT", str(most))
    with pytest.raises(InvalidParameterError) as e:
        check_search_limit(most + 1)
    assert str(e.value) == (f"argument --limit/--k/-k: expected a number at most {most} (the "
                            "largest search page, RECOMMENDER_MAX_SEARCH_LIMIT, as the "
                            f"server's), got {most + 1}")
    check_search_limit(most)
    with pytest.raises(InvalidParameterError) as e:  # the server's own bound: its message
        check_search_limit(most + 1, most)
    assert str(e.value) == f"limit must be in [1, {most}], got {most + 1}"
