"""Fixtures: models loaded once per test module. The shared constants and helpers are in support.py."""
import pytest

from support import DIMODEL, Model, stand_in


@pytest.fixture(scope="module")
def models():
    """Loads each model once: `models(relative_path)` (its stand-in: see stand_in)."""
    cache = {}

    def get(path):
        path = stand_in(path)
        if path not in cache:
            cache[path] = Model(path)
        return cache[path]

    yield get
    for m in cache.values():
        m.close()


@pytest.fixture(scope="module")
def model(models):
    return models("models/convnet.scripted.pt")


@pytest.fixture(scope="module")
def compiled():
    """models/convnet.dimodel, which every build loads (no libtorch needed)."""
    with Model(DIMODEL) as m:
        yield m
