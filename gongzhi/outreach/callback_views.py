"""Provider callbacks (deliveries and keypad answers): no sign-in, no CSRF token — the
HMAC signature over the timestamp and the body is the permission (callback_protocol)."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gongzhi.core import clock
from gongzhi.outreach import callback_protocol as protocol

logger = logging.getLogger(__name__)

MAX_BYTES_DEFAULT = 1024 * 1024


def _refuse(refused: protocol.Refused, provider: str) -> JsonResponse:
    logger.warning(
        "outreach callback from %s refused: %s %s", provider, refused.code, refused.field or ""
    )
    return JsonResponse(refused.as_json(), status=refused.status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, provider: str) -> JsonResponse:
    limit = int(getattr(settings, "GONGZHI_OUTREACH_CALLBACK_MAX_BYTES", MAX_BYTES_DEFAULT))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        refused = protocol.Refused(413, "too_large", f"At most {limit} bytes a request.", "body")
        return _refuse(refused, provider)
    body = request.body[: limit + 1]
    try:
        if len(body) > limit:
            raise protocol.Refused(413, "too_large", f"At most {limit} bytes a request.", "body")
        protocol.check_signature(
            secret=getattr(settings, "GONGZHI_OUTREACH_CALLBACK_SECRET", ""),
            timestamp=request.headers.get("X-Gongzhi-Timestamp", ""),
            signature=request.headers.get("X-Gongzhi-Signature", ""),
            body=body,
            now=clock.now().timestamp(),
            window=int(getattr(settings, "GONGZHI_OUTREACH_CALLBACK_WINDOW_SECONDS", 300)),
        )
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise protocol.Refused(
                400, "invalid", "The body must be JSON (UTF-8).", "body"
            ) from None
        events = protocol.parse_events(data)
    except protocol.Refused as refused:
        return _refuse(refused, provider)
    counts = protocol.events_record(provider=provider, events=events)
    logger.info("outreach callback from %s: %s", provider, counts)
    return JsonResponse(counts)
