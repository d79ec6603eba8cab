"""Shared test setup: a throwaway keyring and data directory, the area tree of two
communities, and the people every test talks about (healthchecks' alice/bob style)."""

import json
import os
import tempfile

_DATA_DIR = tempfile.mkdtemp(prefix="gongzhi-test-")
os.environ.setdefault("GONGZHI_DATA_DIR", _DATA_DIR)
if "GONGZHI_KEYRING" not in os.environ:
    from gongzhi.core.crypto import Keyring

    os.environ["GONGZHI_KEYRING"] = json.dumps(
        Keyring.generate(os.environ.get("GONGZHI_CIPHER", "aes-256-gcm")).to_dict()
    )

import pytest  # noqa: E402
from django.test import override_settings  # noqa: E402

from gongzhi.testing import World, build_world  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Argon2 costs ~0.1 s a hash by design; tests make dozens of users. The production
    setting is checked in accounts/tests/test_security_settings.py."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
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
