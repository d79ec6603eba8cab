"""How much a request may upload, enforced before and while it arrives.

Django keeps non-file fields under DATA_UPLOAD_MAX_MEMORY_SIZE, but spools *files* of any
size to disk before a view can look at them. `web.middleware.UploadLimitMiddleware` refuses
a body whose Content-Length is over the view's limit before reading it, and installs
`LimitedUploadHandler`, which stops reading as soon as one file passes its limit. Views
that take photos declare smaller limits with `upload_limit`; every other view gets
GONGZHI_REQUEST_MAX_BYTES for the whole body and for one file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gongzhi.core.errors import DomainError

MiB = 1024 * 1024
ATTRIBUTE = "gongzhi_upload_limit"


@dataclass(frozen=True)
class UploadLimit:
    total: int  # the whole request body, by its Content-Length
    per_file: int  # one uploaded file, counted as it arrives


class RequestTooLarge(DomainError):
    code = "too_large"
    status = 413
    default_message = _("The upload is too large.")

    def __init__(self, limit: int):
        self.limit = limit
        mb = f"{limit / MiB:.1f}".removesuffix(".0")
        super().__init__(
            _("The upload is too large: at most %(mb)s MB is accepted here.") % {"mb": mb}
        )


def default_limit() -> UploadLimit:
    total = int(settings.GONGZHI_REQUEST_MAX_BYTES)
    return UploadLimit(total=total, per_file=total)


def upload_limit(
    *, total: int, per_file: int
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view's upload limits (bytes): `@upload_limit(total=…, per_file=…)`."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, ATTRIBUTE, UploadLimit(total=total, per_file=per_file))
        return view

    return decorate


def limit_for(view: Any) -> UploadLimit:
    return getattr(view, ATTRIBUTE, None) or default_limit()


def declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class LimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive and gives up past `per_file`; the rest of
    the body is not stored (the total was already bounded by Content-Length)."""

    def __init__(self, request: HttpRequest, limit: UploadLimit):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit.per_file:
            raise RequestTooLarge(self.limit.per_file)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
