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
