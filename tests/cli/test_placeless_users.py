"""A users file that matches no user of the log (ids ``0001`` for ``1``) leaves every user
without a cinema: ``distribution --by cinema`` headed its answer "0 viewers + 0.0 expected new"
of a film with hundreds of viewers (only its footer said why), and ``--filter cinema=c1`` said
"valid values of 'cinema' are: none", as if a value were called none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.distribution.demand import cold_start_demand, demand_by_place
from recommender.errors import InvalidParameterError
from recommender.model import artifact


@pytest.fixture(scope="module")
def placeless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = synthetic_model(n_users=120, n_films=10, seed=5)
    model.user_table.attributes["cinema"] = np.full(model.n_users, "", dtype=str)
    return artifact.save(model, tmp_path_factory.mktemp("placeless") / "model")


def test_demand_by_an_attribute_nobody_has_is_refused_naming_the_viewers(
        capsys: pytest.CaptureFixture[str], placeless: Path) -> None:
    model = artifact.load(placeless)
    film = str(model.films.ids[0])
    viewers = int(np.count_nonzero(model.seen.toarray()[:, 0]))  # the oracle: the log's
    assert viewers > 0
    code, out, err = run(capsys, "distribution", placeless, film, "--by", "cinema")
    assert code == 2 and out == "", out
    assert f"none of the {model.n_users:,} users of this model has a cinema" in err, err
    assert f"the film's {viewers:,} viewers among them" in err
    assert ": 0 viewers" not in err
    # the library (and so HTTP's 422) refuses alike, a new film too
    with pytest.raises(InvalidParameterError, match="users of this model has a cinema"):
        demand_by_place(model, film, "cinema")
    with pytest.raises(InvalidParameterError, match="users of this model has a cinema"):
        cold_start_demand(model, [film], [], "cinema")


def test_a_filter_on_an_attribute_nobody_has_says_so(capsys: pytest.CaptureFixture[str],
                                                      placeless: Path) -> None:
    film = str(artifact.load(placeless).films.ids[0])
    code, _, err = run(capsys, "audience", placeless, film, "--filter", "cinema=c1")
    assert code == 2
    assert "no user has a value of 'cinema'" in err, err
    assert "are: none" not in err
    code, _, err = run(capsys, "audience", placeless, film, "--filter", "cinema=(no value)")
    assert code == 0, err
