"""Loaded by pytest before Django (`-p gongzhi.testenv` in pyproject.toml): tests get a
throwaway data directory and keyring, never the developer's `var/`."""

import json
import os
import tempfile

from gongzhi.core.crypto import Keyring

os.environ["GONGZHI_DATA_DIR"] = tempfile.mkdtemp(prefix="gongzhi-test-")
os.environ.pop("GONGZHI_KEYRING_FILE", None)
os.environ["GONGZHI_KEYRING"] = json.dumps(
    Keyring.generate(os.environ.get("GONGZHI_CIPHER", "aes-256-gcm")).to_dict()
)
# Rate limits off (the tests of the limits set their own), counted in each test process's
# memory.
for _name in ("API_USER", "API_KEY", "API_ANON", "SIGN_IN", "VERIFY"):
    os.environ[f"GONGZHI_RATE_{_name}"] = ""
os.environ["GONGZHI_CACHE_BACKEND"] = "django.core.cache.backends.locmem.LocMemCache"
