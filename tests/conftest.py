"""Shared fixtures: the real data folder beside the repository, and quick mode."""

from pathlib import Path

import pytest

from pinn_inverse import io

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data():
    """The real measured data; tests that need it skip when the folder is absent."""
    path = io.shared_data()
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set PINN_INVERSE_DATA to use it)")
    return path


@pytest.fixture(scope="session")
def ktc_folder(shared_data):
    """The KTC2023 data folder; tests that need it skip when it is absent."""
    path = shared_data / "eit" / "ktc2023"
    if not path.is_dir():
        pytest.skip(f"KTC2023 data folder {path} is absent")
    return path
