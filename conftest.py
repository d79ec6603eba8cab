"""Shared test setup: the area tree of two communities and the people every test talks
about (healthchecks' alice/bob style). The throwaway keyring and data directory come from
`gongzhi/testenv.py`, loaded before Django."""

import pytest
from django.test import override_settings

from gongzhi.testing import World, build_world


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Argon2 costs ~0.1 s a hash by design; tests make dozens of users. The production
    setting is checked in accounts/tests/test_security_settings.py."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit windows live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def world(db) -> World:
    """Two communities under one street; community A has grids A1 and A2."""
    return build_world()


@pytest.fixture
def grid_worker_a(world):
    return world.grid_worker_a


@pytest.fixture
def grid_worker_b(world):
    return world.grid_worker_b


@pytest.fixture
def secretary(world):
    return world.secretary


@pytest.fixture
def resident(world):
    return world.resident


@pytest.fixture
def outsider(world):
    return world.outsider


def pytest_collection_modifyitems(config, items):
    """Fuzz runs (`@pytest.mark.fuzz`) only when asked for by name (`-m fuzz`, `make fuzz`):
    `make test` and its CI steps leave them to their own CI step."""
    if "fuzz" in (config.option.markexpr or ""):
        return
    fuzz = [item for item in items if item.get_closest_marker("fuzz")]
    if fuzz:
        config.hook.pytest_deselected(items=fuzz)
        items[:] = [item for item in items if not item.get_closest_marker("fuzz")]
