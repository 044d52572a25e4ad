"""pytest options shared by the command-line tests."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_addoption(parser):
    parser.addoption("--lantern", default=os.path.join(REPO, "build", "bin", "lantern"),
                     help="path to the lantern binary")


@pytest.fixture(scope="session")
def lantern(request):
    path = request.config.getoption("--lantern")
    assert os.access(path, os.X_OK), f"{path} is not built"
    return path


@pytest.fixture(scope="session")
def data_dir():
    d = os.environ.get("LANTERN_SHARED_DATA", os.path.join(REPO, "..", "shared", "data"))
    assert os.path.isdir(d), f"shared data not found at {d}"
    return d
