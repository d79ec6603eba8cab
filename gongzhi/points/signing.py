"""Signatures of certificates (电子证照): key pairs, signing, and verification that needs
nothing but the token and the published public keys (no database, no network).

- **Algorithms**: Ed25519 (`cryptography`) by default; SM2 with SM3 (GB/T 32918, the
  `gmssl` library, with the standard signer ID "1234567812345678") where a deployment
  chooses the national algorithms (`GONGZHI_CERTIFICATE_ALGORITHM = "sm2"`). A key keeps
  the algorithm it was made with; changing the setting takes effect at the next rotation.
- **Public keys** are hex: Ed25519's 32 raw bytes; SM2's uncompressed point `04‖x‖y`.
  The key id is the first 16 hex digits of SHA-256 over "<algorithm>:<public key hex>".
- **Payload**: canonical JSON — keys sorted, no spaces, UTF-8 (not \\u-escaped). The
  signature is over exactly those bytes.
- **Token** (what the QR and the /verify link carry): base64url(payload) "." base64url(
  signature), without padding. Signatures are 64 raw bytes (SM2: r‖s, 32 bytes each).

`verify_token(token, lookup)` is the one verification: the site gives it the keys from its
database, `gongzhi certificates verify --keys keys.json` the published keys file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils.translation import gettext as _

ED25519 = "ed25519"
SM2 = "sm2"
ALGORITHMS = (ED25519, SM2)
PAYLOAD_VERSION = 1
TOKEN_MAX = 4096  # characters: a real token is well under 1,000
PAYLOAD_FIELDS = frozenset(
    {
        "v",
        "serial",
        "community_code",
        "community_name",
        "holder",
        "hours",
        "period_start",
        "period_end",
        "issued_at",
        "key_id",
        "alg",
    }
)


# --- canonical payload and token ------------------------------------------------------------


def canonical(data: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the exact bytes that are signed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not text or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def token_of(payload: bytes, signature: bytes) -> str:
    return f"{b64url(payload)}.{b64url(signature)}"


# --- keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    algorithm: str
    public_key: str  # hex
    private_key: str  # hex: to be sealed at once
    key_id: str


def key_id_of(algorithm: str, public_key: str) -> str:
    return hashlib.sha256(f"{algorithm}:{public_key.lower()}".encode()).hexdigest()[:16]


def _sm2() -> Any:  # gmssl has no type hints
    from gmssl import sm2

    return sm2


def _sm2_n() -> int:
    return int(_sm2().default_ecc_table["n"], 16)


def generate(algorithm: str) -> KeyPair:
    """A new key pair of `algorithm` (randomness from the operating system)."""
    if algorithm == ED25519:
        private = Ed25519PrivateKey.generate()
        private_hex = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ).hex()
        public_hex = (
            private.public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            .hex()
        )
    elif algorithm == SM2:
        sm2 = _sm2()
        d = 1 + secrets.randbelow(_sm2_n() - 2)  # 1 <= d <= n-2 (GB/T 32918.1)
        private_hex = f"{d:064x}"
        signer = sm2.CryptSM2(private_key=private_hex, public_key="")
        public_hex = "04" + signer._kg(d, sm2.default_ecc_table["g"])
    else:
        raise ValueError(f"unknown signing algorithm {algorithm!r}")
    return KeyPair(algorithm, public_hex, private_hex, key_id_of(algorithm, public_hex))


def public_of(algorithm: str, private_key: str) -> str:
    """The public half of a private key (hex), to check a sealed key still matches."""
    if algorithm == ED25519:
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key))
        return (
            private.public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            .hex()
        )
    sm2 = _sm2()
    signer = sm2.CryptSM2(private_key=private_key, public_key="")
    return "04" + signer._kg(int(private_key, 16), sm2.default_ecc_table["g"])


def sign(algorithm: str, private_key: str, public_key: str, message: bytes) -> bytes:
    """64 bytes: Ed25519's signature, or SM2's r‖s over SM3(Z‖message)."""
    if algorithm == ED25519:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_key)).sign(message)
    if algorithm == SM2:
        sm2 = _sm2()
        signer = sm2.CryptSM2(private_key=private_key, public_key=_sm2_point(public_key))
        while True:
            # The per-signature secret k from the operating system's generator: gmssl's own
            # default draws it with `random`, which is not fit for a secret.
            k = 1 + secrets.randbelow(_sm2_n() - 1)
            signature = signer.sign_with_sm3(message, f"{k:064x}")
            if signature:  # None when r = 0 or r + k = n: draw again
                return bytes.fromhex(signature)
    raise ValueError(f"unknown signing algorithm {algorithm!r}")


def _sm2_point(public_key: str) -> str:
    """gmssl wants x‖y (128 hex digits) without the 04 prefix of an uncompressed point."""
    key = public_key.lower()
    if len(key) == 130 and key.startswith("04"):
        key = key[2:]
    if len(key) != 128:
        raise ValueError("an SM2 public key is an uncompressed point: 04, x and y")
    int(key, 16)
    return key


def check(algorithm: str, public_key: str, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `public_key`'s over `message`; never raises on bad input."""
    try:
        if algorithm == ED25519:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(signature, message)
            return True
        if algorithm == SM2:
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            n = _sm2_n()
            if not (0 < r < n and 0 < s < n):
                return False
            verifier = _sm2().CryptSM2(private_key="", public_key=_sm2_point(public_key))
            return bool(verifier.verify_with_sm3(signature.hex(), message))
    except (InvalidSignature, ValueError, TypeError, binascii.Error, IndexError, ArithmeticError):
        return False
    return False


# --- verification ---------------------------------------------------------------------------


class Reason:
    OK = "ok"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    ALTERED = "altered"  # the signature does not match: changed after signing, or forged
    KEY_RETIRED = "key_retired"  # claims a date after its key was retired


@dataclass(frozen=True)
class PublicKey:
    """A published key: what verification needs and nothing else."""

    key_id: str
    algorithm: str
    public_key: str
    community_code: str = ""
    community_name: str = ""
    valid_from: dt.datetime | None = None
    retired_at: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "algorithm": self.algorithm,
            "public_key": self.public_key,
            "community_code": self.community_code,
            "community_name": self.community_name,
            "valid_from": _iso(self.valid_from),
            "retired_at": _iso(self.retired_at),
        }


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("a time is an ISO 8601 string")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time names its offset")
    return parsed


@dataclass(frozen=True)
class Verification:
    reason: str
    message: str
    payload: dict[str, Any] = field(default_factory=dict)  # only when the token parsed
    key: PublicKey | None = None

    @property
    def valid(self) -> bool:
        return self.reason == Reason.OK


def _messages() -> dict[str, str]:
    return {
        Reason.OK: _(
            "Valid: this certificate was signed by the community's key and has not been "
            "changed since."
        ),
        Reason.MALFORMED: _(
            "Not a certificate: the code is incomplete or damaged. Scan it again or paste "
            "the whole code."
        ),
        Reason.UNKNOWN_KEY: _(
            "Not valid: it names a signing key that no community has published. It was not "
            "issued by Gongzhi, or the key list is out of date."
        ),
        Reason.ALTERED: _(
            "Not valid: the signature does not match. The certificate was changed after it "
            "was signed (for example its hours), or it was not signed by this community."
        ),
        Reason.KEY_RETIRED: _(
            "Not valid: it claims to have been issued after its signing key was retired; "
            "a retired key signs nothing new."
        ),
    }


def _result(reason: str, **extra: Any) -> Verification:
    return Verification(reason, _messages()[reason], **extra)


def token_from_text(text: str) -> str:
    """The token itself from what was pasted or scanned: the token, or a /verify/?t=… link."""
    text = (text or "").strip()
    if "?" in text:
        values = parse_qs(urlsplit(text).query).get("t")
        if values:
            return values[0]
    return text


def decode(token: str) -> tuple[bytes, bytes, dict[str, Any]]:
    """(payload bytes, signature, payload) of a well-formed token; ValueError otherwise."""
    token = "".join(token.split())  # a pasted code may carry line breaks
    if not token or len(token) > TOKEN_MAX or token.count(".") != 1:
        raise ValueError("a token is two base64url parts joined by a dot")
    head, tail = token.split(".")
    raw, signature = b64url_decode(head), b64url_decode(tail)
    payload = json.loads(raw.decode("utf-8"))
    if not isinstance(payload, dict) or set(payload) != PAYLOAD_FIELDS:
        raise ValueError("the payload does not have the certificate's fields")
    if payload["v"] != PAYLOAD_VERSION or payload["alg"] not in ALGORITHMS:
        raise ValueError("unknown payload version or algorithm")
    if len(signature) != 64:
        raise ValueError("a signature is 64 bytes")
    parse_time(payload["issued_at"])
    return raw, signature, payload


def verify_token(token: str, lookup: Callable[[str], PublicKey | None]) -> Verification:
    """Check a certificate's token against the key its payload names (found with `lookup`).
    A key that was retired still verifies what it signed before its retirement."""
    try:
        raw, signature, payload = decode(token)
        issued_at = parse_time(payload["issued_at"])
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error, RecursionError):
        return _result(Reason.MALFORMED)
    key = lookup(str(payload["key_id"]))
    if key is None:
        return _result(Reason.UNKNOWN_KEY, payload=payload)
    if key.algorithm != payload["alg"] or not check(key.algorithm, key.public_key, raw, signature):
        return _result(Reason.ALTERED, payload=payload, key=key)
    if key.retired_at is not None and issued_at is not None and issued_at > key.retired_at:
        return _result(Reason.KEY_RETIRED, payload=payload, key=key)
    return _result(Reason.OK, payload=payload, key=key)


# --- the published keys file ----------------------------------------------------------------


def keys_document(keys: list[PublicKey]) -> dict[str, Any]:
    return {
        "format": "gongzhi-certificate-keys",
        "version": 1,
        "keys": [key.as_json() for key in keys],
    }


def keys_from_document(document: Any) -> dict[str, PublicKey]:
    """The keys of a published keys file (parsed JSON), by key id; ValueError if it is not
    one. Each key's id is recomputed from its public key, so a file cannot alias one."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a keys file: no list of keys")
    found: dict[str, PublicKey] = {}
    for item in document["keys"]:
        if not isinstance(item, dict):
            raise ValueError("not a keys file: a key is not an object")
        algorithm, public_key = item.get("algorithm"), item.get("public_key")
        if algorithm not in ALGORITHMS or not isinstance(public_key, str):
            raise ValueError("not a keys file: a key lacks its algorithm or public key")
        key_id = key_id_of(algorithm, public_key)
        if item.get("key_id") != key_id:
            raise ValueError("not a keys file: a key id does not match its public key")
        found[key_id] = PublicKey(
            key_id=key_id,
            algorithm=algorithm,
            public_key=public_key.lower(),
            community_code=str(item.get("community_code") or ""),
            community_name=str(item.get("community_name") or ""),
            valid_from=parse_time(item.get("valid_from")),
            retired_at=parse_time(item.get("retired_at")),
        )
    return found
