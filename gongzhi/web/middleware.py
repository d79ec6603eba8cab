"""The domain's NotFound and Forbidden, raised by selectors and services, become the
workbench's 404 and 403 pages, so views need no try/except around every lookup; uploads
over their limit are refused before they are read."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from gongzhi.core import uploads
from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.core.refusals import refusal


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # The API has its own error handler with a JSON body.
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            return response_for_exception(request, Http404(str(exception.message)))
        if isinstance(exception, Forbidden):
            return response_for_exception(request, PermissionDenied(str(exception.message)))
        return None


class UploadLimitMiddleware:
    """Refuses a body over the view's upload limit by its Content-Length, before reading it,
    and stops reading a file as soon as it passes its limit (`core.uploads`). Sits before
    CsrfViewMiddleware, whose check would otherwise read the whole body first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        limit = uploads.limit_for(view)
        if uploads.declared_length(request) > limit.total:
            return self._too_large(request, uploads.RequestTooLarge(limit.total))
        if not (request.content_type or "").startswith("multipart/"):
            return None
        request.upload_handlers.insert(0, uploads.LimitedUploadHandler(request, limit))
        if getattr(view, "csrf_exempt", False):
            # The API and views that read the body themselves: the handler raises where
            # they read it (the API answers 413 in its error shape).
            return None
        try:
            request.POST  # noqa: B018 - parse now, so no view sees a half-read upload
        except uploads.RequestTooLarge as exc:
            return self._too_large(request, exc)
        return None

    def _too_large(self, request: HttpRequest, exc: uploads.RequestTooLarge) -> HttpResponse:
        return refusal(
            request,
            status=413,
            code=exc.code,
            title=_("Upload too large"),
            message=exc.message,
        )


class NoStoreMiddleware:
    """No browser or proxy keeps a copy of anything but static files (which WhiteNoise
    answers before this runs): pages, API answers, photos and exports may all carry
    personal data. A response that sets its own Cache-Control keeps it, with no-store
    added for a signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        elif "no-store" in response["Cache-Control"]:
            pass  # already says what is needed
        elif getattr(getattr(request, "user", None), "is_authenticated", False):
            patch_cache_control(response, no_store=True, private=True)
        return response
