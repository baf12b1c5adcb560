"""Shared fixtures: the real data folder beside the repository, and quick mode."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """``../shared/data`` beside the repository, or ``PINN_INVERSE_DATA`` when set."""
    return Path(os.environ.get("PINN_INVERSE_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data():
    """The real measured data; tests that need it skip when the folder is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set PINN_INVERSE_DATA to use it)")
    return path
