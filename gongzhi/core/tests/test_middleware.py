"""The language middleware: the request's language holds for its response (streamed ones
included) and nowhere else — not for the next request or test in the same thread."""

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from gongzhi.core.middleware import LanguageMiddleware

REQUIRED = "This field is required."


def _request(language: str = ""):
    request = RequestFactory().get("/")
    if language:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = language
    return request


def test_the_chosen_language_does_not_outlive_the_request():
    seen = []

    def view(request):
        seen.append(translation.get_language())
        return HttpResponse(gettext(REQUIRED))

    with translation.override("zh-hans"):
        response = LanguageMiddleware(view)(_request("en"))
        after = translation.get_language()
    assert seen == ["en"]
    assert response.content.decode() == REQUIRED
    assert response["Content-Language"] == "en"
    assert after == "zh-hans"


def test_a_request_without_a_choice_is_chinese_and_restores_what_was_active():
    def view(request):
        return HttpResponse(gettext(REQUIRED))

    with translation.override("en"):
        response = LanguageMiddleware(view)(_request())
        after = translation.get_language()
    assert response["Content-Language"] == "zh-hans"
    assert response.content.decode() != REQUIRED
    assert after == "en"


def test_a_streamed_response_is_produced_in_the_requests_language():
    """Exports stream rows after the middleware has returned (the server reads them)."""

    def view(request):
        return StreamingHttpResponse(gettext(REQUIRED) for _ in range(2))

    with translation.override("zh-hans"):
        response = LanguageMiddleware(view)(_request("en"))
        chunks = [chunk.decode() for chunk in response.streaming_content]
        after = translation.get_language()
    assert chunks == [REQUIRED, REQUIRED]
    assert after == "zh-hans"


def test_a_request_through_the_stack_leaves_no_language_behind(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("zh-hans"):
        client.get("/healthz")
        assert translation.get_language() == "zh-hans"
