"""Fixtures for the template tests: a small valid template folder and a valid network file, copied to tmp."""
import shutil
from pathlib import Path

import pytest

VALID = Path(__file__).parent / "valid"
ORGANISATIONS = {"kdv-zon", "obs-ster", "jeugd-wijk"}
TEMPLATE_IDS = {"doorgaande-lijn", "lerend-netwerk-jeugd"}


@pytest.fixture
def small_template(tmp_path) -> Path:
    """A copy of valid/klein (id `klein`) that a test may change."""
    return Path(shutil.copytree(VALID / "klein", tmp_path / "klein"))


@pytest.fixture
def network_file(tmp_path) -> Path:
    path = tmp_path / "netwerk.yml"
    shutil.copy(VALID / "netwerk.yml", path)
    return path
