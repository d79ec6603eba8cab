"""The domain's NotFound and Forbidden, raised by selectors and services, become the
workbench's 404 and 403 pages, so views need no try/except around every lookup."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse

from gongzhi.core.errors import Forbidden, NotFound


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
