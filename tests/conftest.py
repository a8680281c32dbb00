import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_third_party_autoload(monkeypatch):
    """Tests see the built-ins only, whatever plugins the environment happens to have installed."""
    monkeypatch.setenv("REWARDKIT_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def shared_data() -> Path:
    path = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    return path
