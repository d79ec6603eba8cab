"""A resident's personal code (the QR shown on /m/ and scanned at a sampling point).

It carries only the person's number, signed with the server's secret and timed: a
screenshot goes stale, and nobody can make one up.
"""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SALT = "gongzhi.health.person-code"
MAX_AGE_SECONDS = 24 * 3600


def person_code(person_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"p{person_id}")


def person_id_from_code(code: str, *, field: str = "code") -> int:
    """The person's number in a scanned code, or a ValidationError naming `field`."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(
            (code or "").strip(), max_age=MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise ValidationError(
            {field: [_("This code is more than a day old; ask the resident to open it again.")]}
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            {field: [_("This is not a resident's code of this platform.")]}
        ) from None
    if not value.startswith("p") or not value[1:].isdigit():
        raise ValidationError({field: [_("This is not a resident's code of this platform.")]})
    return int(value[1:])
