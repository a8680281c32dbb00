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
        pytest.skip(
            f"the public GSM8K, MATH-500, HH-RLHF and SciTLDR files are not at {path}: put them there or set "
            "REWARDKIT_SHARED_DATA to their folder (docs/testing.md#the-fuller-data-sets says where each comes from)"
        )
    return path
