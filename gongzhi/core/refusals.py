"""A request refused before its view runs (too large, too many): the API's error shape
under /api/, a short page elsewhere."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def refusal(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: Any,
    message: Any,
    retry_after: float | None = None,
) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        body = {"code": code, "message": str(message), "fields": {}}
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
    else:
        back = "/m/" if request.path.startswith("/m/") else "/"
        context = {"title": title, "message": message, "back_url": back}
        response = render(request, "web/refused.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response
