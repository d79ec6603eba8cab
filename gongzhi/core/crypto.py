"""Encryption of personal data at rest, blind indexes, and the keyring.

A ciphertext ("token") is text: `<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The key
id names an entry of the keyring, which says the algorithm (AES-256-GCM or SM4-GCM), so
keys and algorithms can rotate while old tokens stay readable. The purpose of a value
(for example `person.id_number`) is bound as associated data: a token copied into another
field does not decrypt.

Blind indexes are keyed hashes (HMAC-SHA256, or HMAC-SM3 with SM4) of a normalised value
and its purpose: equal values give equal indexes, for exact search and duplicate
detection, without storing the value.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

AES_256_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
CIPHERS = {AES_256_GCM: 32, SM4_GCM: 16}  # algorithm -> key length in bytes
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_HEX_CHARS = 32  # 128 bits of the HMAC: plenty for exact match, small indexes


class DecryptionError(Exception):
    """A token that the keyring cannot open: unknown key, tampered or moved value."""


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Key:
    id: str
    algorithm: str
    secret: bytes


@dataclass
class Keyring:
    """The data keys (one active for new values) and the blind-index key."""

    active: str
    keys: dict[str, Key]
    index_key: bytes
    index_hash: str = "sha256"  # or "sm3"
    _aes: dict[str, AESGCM] = field(default_factory=dict, repr=False)
    _macs: dict[str, hmac.HMAC] = field(default_factory=dict, repr=False)

    # --- construction -----------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Keyring:
        try:
            keys = {
                key_id: Key(key_id, entry["algorithm"], _b64d(entry["secret"]))
                for key_id, entry in data["keys"].items()
            }
            ring = cls(
                active=data["active"],
                keys=keys,
                index_key=_b64d(data["index_key"]),
                index_hash=data.get("index_hash", "sha256"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ImproperlyConfigured(f"The keyring is malformed: {exc!r}") from exc
        for key in keys.values():
            if CIPHERS.get(key.algorithm) != len(key.secret):
                raise ImproperlyConfigured(f"Key {key.id} is not a valid {key.algorithm} key.")
            if ":" in key.id:
                raise ImproperlyConfigured(f"Key id {key.id!r} may not contain ':'.")
        if ring.active not in keys:
            raise ImproperlyConfigured(f"The active key {ring.active!r} is not in the keyring.")
        if ring.index_hash not in {"sha256", "sm3"}:
            raise ImproperlyConfigured(f"Unknown index hash {ring.index_hash!r}.")
        return ring

    def to_dict(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "keys": {
                k.id: {"algorithm": k.algorithm, "secret": _b64e(k.secret)}
                for k in self.keys.values()
            },
            "index_key": _b64e(self.index_key),
            "index_hash": self.index_hash,
        }

    @classmethod
    def generate(cls, algorithm: str = AES_256_GCM) -> Keyring:
        key = new_key(algorithm)
        return cls(
            active=key.id,
            keys={key.id: key},
            index_key=secrets.token_bytes(32),
            index_hash="sm3" if algorithm == SM4_GCM else "sha256",
        )

    def with_new_active_key(self, algorithm: str) -> Keyring:
        """The same ring with a fresh key made active; old keys stay to read old tokens."""
        key = new_key(algorithm)
        keys = dict(self.keys)
        keys[key.id] = key
        return Keyring(
            active=key.id, keys=keys, index_key=self.index_key, index_hash=self.index_hash
        )

    # --- use ----------------------------------------------------------------------------
    def encrypt(self, plaintext: str, purpose: str) -> str:
        key = self.keys[self.active]
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._seal(key, nonce, plaintext.encode("utf-8"), purpose.encode("ascii"))
        return f"{key.id}:{_b64e(nonce + sealed)}"

    def decrypt(self, token: str, purpose: str) -> str:
        key_id, sep, body = token.partition(":")
        key = self.keys.get(key_id)
        if not sep or key is None:
            raise DecryptionError(f"no key {key_id!r} in the keyring")
        try:
            raw = _b64d(body)
            plain = self._open(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("the value does not decrypt (tampered or moved)") from exc
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        return token.partition(":")[0]

    def blind_index(self, value: str, purpose: str) -> str:
        # HMAC(key, purpose ‖ 0 ‖ value): the state after the purpose is computed once per
        # purpose and copied for each value (half the cost for an import's many rows).
        started = self._macs.get(purpose)
        if started is None:
            digest = hashes.SM3() if self.index_hash == "sm3" else hashes.SHA256()
            started = hmac.HMAC(self.index_key, digest)
            started.update(purpose.encode("ascii") + b"\x00")
            self._macs[purpose] = started
        mac = started.copy()
        mac.update(value.encode("utf-8"))
        return mac.finalize().hex()[:INDEX_HEX_CHARS]

    def _seal(self, key: Key, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        if key.algorithm == AES_256_GCM:
            aes = self._aes.get(key.id) or self._aes.setdefault(key.id, AESGCM(key.secret))
            return aes.encrypt(nonce, data, aad)
        encryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def _open(self, key: Key, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        if key.algorithm == AES_256_GCM:
            aes = self._aes.get(key.id) or self._aes.setdefault(key.id, AESGCM(key.secret))
            return aes.decrypt(nonce, sealed, aad)
        body, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(key.secret), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(body) + decryptor.finalize()


def new_key(algorithm: str) -> Key:
    if algorithm not in CIPHERS:
        raise ImproperlyConfigured(
            f"GONGZHI_CIPHER must be one of {', '.join(CIPHERS)}, not {algorithm!r}."
        )
    key_id = f"{'sm4' if algorithm == SM4_GCM else 'aes'}-{secrets.token_hex(4)}"
    return Key(key_id, algorithm, secrets.token_bytes(CIPHERS[algorithm]))


# --- the process-wide keyring ------------------------------------------------------------


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keyring: GONGZHI_KEYRING (JSON text) or GONGZHI_KEYRING_FILE."""
    if settings.GONGZHI_KEYRING:
        return Keyring.from_dict(json.loads(settings.GONGZHI_KEYRING))
    path = Path(settings.GONGZHI_KEYRING_FILE)
    if not path.exists():
        raise ImproperlyConfigured(
            f"No keyring at {path}. Run `gongzhi keys init` (the demo does this itself) "
            "or set GONGZHI_KEYRING_FILE."
        )
    return Keyring.from_dict(json.loads(path.read_text(encoding="utf-8")))


def reset_keyring_cache() -> None:
    keyring.cache_clear()


def write_keyring_file(ring: Keyring, path: Path) -> None:
    """Write the keyring with 0600 permissions, replacing the old file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(ring.to_dict(), handle, indent=2)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    reset_keyring_cache()


def ensure_keyring_file(algorithm: str | None = None) -> bool:
    """Create the keyring file if it is missing. True when a new one was made."""
    if settings.GONGZHI_KEYRING:
        return False
    path = Path(settings.GONGZHI_KEYRING_FILE)
    if path.exists():
        return False
    write_keyring_file(Keyring.generate(algorithm or settings.GONGZHI_CIPHER), path)
    return True


def encrypt(plaintext: str, purpose: str) -> str:
    return keyring().encrypt(plaintext, purpose)


def decrypt(token: str, purpose: str) -> str:
    ring = keyring()
    if ring.key_id_of(token) not in ring.keys:
        # Another process rotated the keys since this one loaded them: reload once.
        reset_keyring_cache()
        ring = keyring()
    return ring.decrypt(token, purpose)


def blind_index(value: str, purpose: str) -> str:
    return keyring().blind_index(value, purpose)


def chain_hash(data: bytes) -> str:
    """The audit chain's hash: SM3 when the deployment chose SM4, else SHA-256."""
    if settings.GONGZHI_CIPHER == SM4_GCM:
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return "sm3:" + digest.finalize().hex()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_chain_hash(data: bytes, expected: str) -> bool:
    algorithm, _, _ = expected.partition(":")
    if algorithm == "sm3":
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return secrets.compare_digest("sm3:" + digest.finalize().hex(), expected)
    return secrets.compare_digest("sha256:" + hashlib.sha256(data).hexdigest(), expected)
