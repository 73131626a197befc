"""Fixtures of the evaluation tests: a small demo dataset with planted taste groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.io import demo
from recommender.io.dataset import Interactions
from recommender.io.readers import load


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.generate(tmp_path_factory.mktemp("eval") / "demo", seed=3, n_users=300,
                         n_films=80, n_interactions=6000, n_groups=4)


@pytest.fixture(scope="session")
def demo_data(demo_dir: Path) -> Interactions:
    return load(demo_dir)
