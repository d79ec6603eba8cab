import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from gongzhi.core import context


def client_ip(request: HttpRequest) -> str:
    if settings.GONGZHI_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    """Makes the client's address available to the audit log for this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith("/api/") else "web"
        token = context.activate(
            context.RequestContext(ip=client_ip(request), request_id=uuid.uuid4().hex, via=via)
        )
        try:
            return self.get_response(request)
        finally:
            context.deactivate(token)


class LanguageMiddleware:
    """Simplified Chinese unless the user chose another language (cookie set by /i18n/).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the
    workbench English on any English-configured browser; the product's default is Chinese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
