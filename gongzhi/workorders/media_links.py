"""Signed, expiring links to an order's photo, for clients that hold no session or key
(Open311's `media_url`).

A token is `<attachment id>:<expiry, base 62 seconds>:<signature>`, signed with the
project's SECRET_KEY (and its fallbacks) under its own salt, so no other signed value of
the platform can be replayed as one. It names nothing but the attachment's number: no
person, address or order text, as it ends up in access logs and third-party caches.
Whoever holds the link may fetch the photo until it expires; a changed or cut token is
refused, and so is an expired one. The expiry is read from `core.clock`, so tests move it.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing

from gongzhi.core import clock

LIFETIME = dt.timedelta(days=7)
_SALT = "gongzhi.workorders.media_links"


class Expired(Exception):
    """The token was signed by us but its time is up."""


class Invalid(Exception):
    """The token was not signed by us, or was changed."""


def sign(attachment_id: int, *, lifetime: dt.timedelta = LIFETIME) -> str:
    expires = int((clock.now() + lifetime).timestamp())
    return signing.Signer(salt=_SALT).sign(f"{int(attachment_id)}:{signing.b62_encode(expires)}")


def attachment_id(token: str) -> int:
    """The attachment a token names; Invalid or Expired otherwise."""
    try:
        value = signing.Signer(salt=_SALT).unsign(token)
        number, expires = value.split(":")
        attachment, until = int(number), signing.b62_decode(expires)
    except (signing.BadSignature, ValueError):
        raise Invalid() from None
    if clock.now().timestamp() >= until:
        raise Expired()
    return attachment
