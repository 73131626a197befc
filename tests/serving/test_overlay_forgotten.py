"""An overlay given the mask of erased ids drops them: a base user's row goes, a new user's
events are not applied, the others keep their vectors. Oracles: the base model's own arrays
indexed by hand, and the brute-force audience of the base model less the erased user."""

from __future__ import annotations

import numpy as np
from helpers import brute_audience, synthetic_model

from recommender.campaigns.erasure import Erasures
from recommender.query.audience import film_audience
from recommender.serving.overlay import Overlay


def test_erased_users_leave_the_derived_model() -> None:
    base = synthetic_model(n_users=60, n_films=12, seed=3)
    gone = str(base.users.ids[7])
    erased = Erasures(tombstones=np.asarray([gone, "newcomer"], str))  # the mask of both
    overlay = Overlay(base, 0, forgotten=erased)
    films = base.films.ids[:2]
    overlay.apply(np.asarray(["newcomer", "newcomer"]), films, np.ones(2), 2)
    derived = overlay.model()
    ids = derived.users.ids.tolist()
    assert gone not in ids and "newcomer" not in ids and len(ids) == base.n_users - 1
    assert overlay.erased_events == 2 and overlay.applied == 0
    keep = np.arange(base.n_users) != 7
    np.testing.assert_array_equal(derived.user_factors, base.user_factors[keep])
    np.testing.assert_array_equal(derived.seen.toarray(), base.seen.toarray()[keep])
    film = base.films.ids[0]
    page = film_audience(derived, str(film), k=derived.n_users)
    want = [str(base.users.ids[u]) for u in brute_audience(base, 0)[0] if u != 7]
    assert page.user_ids.tolist() == want
