"""Certificates over REST: public, like /verify (no credentials; the per-address limit of
callers without credentials applies).

    POST /certificates/verify   check a certificate's token (or a /verify link holding one)
    GET  /certificates/keys     every community's public keys, current and retired
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from gongzhi.core.api_schemas import ERRORS, In
from gongzhi.points import certificates
from gongzhi.points.signing import TOKEN_MAX

router = Router(tags=["certificates"])


class VerifyIn(In):
    token: str = Field(
        min_length=1,
        max_length=TOKEN_MAX + 500,
        description="the certificate's token, or its /verify/?t=… link",
    )


class CertificateStated(Schema):
    serial: str
    community_code: str
    community_name: str
    holder: str = Field(description="the holder's name, masked as the certificate states it")
    hours: str
    period_start: dt.date
    period_end: dt.date
    issued_at: dt.datetime
    key_id: str
    alg: str


class VerifyOut(Schema):
    valid: bool
    code: str = Field(
        description="ok, malformed, unknown_key, altered (the signature does not match), "
        "key_retired (claims a date after its key was retired)"
    )
    message: str = Field(description="why, in the caller's language")
    certificate: CertificateStated | None = Field(
        None, description="what the certificate states; only when it is valid"
    )


class KeyOut(Schema):
    key_id: str
    algorithm: str
    public_key: str = Field(description="hex: raw Ed25519 key, or SM2's uncompressed point")
    community_code: str
    community_name: str
    valid_from: dt.datetime | None
    retired_at: dt.datetime | None


class KeysOut(Schema):
    format: str
    version: int
    keys: list[KeyOut]


@router.post(
    "/certificates/verify",
    response={200: VerifyOut, **ERRORS},
    auth=None,
    operation_id="certificate_verify",
)
def certificate_verify(request: HttpRequest, body: VerifyIn) -> dict[str, Any]:
    result = certificates.certificate_verify(body.token)
    return {
        "valid": result.valid,
        "code": result.reason,
        "message": result.message,
        "certificate": result.payload if result.valid else None,
    }


@router.get(
    "/certificates/keys",
    response={200: KeysOut, **ERRORS},
    auth=None,
    operation_id="certificate_keys",
)
def certificate_keys(request: HttpRequest) -> dict[str, Any]:
    return certificates.keys_document()
