import uuid
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
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
        request.LANGUAGE_CODE = language
        # override, not activate: the language must not outlive the request (the next
        # request served by this thread, or the next test, would inherit it).
        with translation.override(language):
            response = self.get_response(request)
        if (
            isinstance(response, StreamingHttpResponse)
            and not response.is_async
            and not isinstance(response, FileResponse)
        ):
            # CSV exports build their rows while the server reads them, after this returns
            # (a file's bytes need no language, and keep the server's sendfile path).
            response.streaming_content = _in_language(response.streaming_content, language)
        response.headers.setdefault("Content-Language", language)
        return response


def _in_language(chunks: Iterable[bytes], language: str) -> Iterator[bytes]:
    """Each chunk produced in `language`, and the thread's language restored between
    chunks (a generator holding an override open would leak it to the caller)."""
    iterator = iter(chunks)
    while True:
        with translation.override(language):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk
