"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real public datasets at ``../shared/datasets`` beside the checkout (read-only).

    Never copy them, or anything derived from them, into the repository.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    if not path.is_dir():
        pytest.skip("../shared/datasets not found beside the checkout")
    return path
