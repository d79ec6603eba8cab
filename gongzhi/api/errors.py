"""Every error the API returns has one shape: `{"code", "message", "fields"}`.

`message` is in the request's language (Chinese unless the user chose another);
`fields` maps a request field to its messages (`{}` when no field is to blame). A
duplicate resident ID number adds `existing: {id, url}` when the caller may see that
person. Missing and out-of-scope objects give the same 404 body.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from gongzhi.api.throttling import AnonymousThrottle
from gongzhi.core.errors import DomainError, DuplicatePerson, NotFound, field_errors
from gongzhi.registry.selectors import person_get_for

# ninja's parameter sources; a body's first location step is the operation's parameter name.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def error_body(code: str, message: Any, fields: dict[str, list[str]] | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def _respond(api: NinjaAPI, request: HttpRequest, status: int, body: dict) -> HttpResponse:
    return api.create_response(request, body, status=status)


def _pydantic_message(error: dict[str, Any]) -> str:
    """A pydantic error's type as a sentence in the request's language."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(max)d characters.") % {"max": ctx.get("max_length", 0)}
    if kind == "string_too_short":
        return _("At least %(min)d characters.") % {"min": ctx.get("min_length", 0)}
    if kind in ("too_long", "too_short"):
        return _("Too many or too few items.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(limit)s.") % {
            "limit": ctx.get("ge", ctx.get("gt", ""))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(limit)s.") % {
            "limit": ctx.get("le", ctx.get("lt", ""))
        }
    if kind.startswith("date") or kind.startswith("datetime"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in ("string_type", "string_unicode"):
        return _("Enter text.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Enter a list.")
    if kind == "control_characters":
        return _("Control characters (such as NUL) are not allowed.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind in ("json_invalid", "model_attributes_type", "dict_type", "model_type"):
        return _("The request body is not a valid JSON object.")
    return _("Enter a valid value.")


def _field_name(loc: tuple[Any, ...], body_params: set[str]) -> str:
    """`("body", "payload", "notes")` -> `notes`; `("query", "limit")` -> `limit`."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] in body_params:
            parts.pop(0)  # the body as a whole when nothing follows
    return ".".join(str(p) for p in parts) or "__all__"


def request_validation_fields(exc: NinjaValidationError) -> tuple[bool, dict[str, list[str]]]:
    """(only the path was wrong, field -> messages) from ninja's request validation error."""
    body_params = {"payload", "data", "body"}
    fields: dict[str, list[str]] = {}
    only_path = bool(exc.errors)
    for error in exc.errors:
        loc = tuple(error.get("loc") or ())
        if not loc or loc[0] != "path":
            only_path = False
        fields.setdefault(_field_name(loc, body_params), []).append(_pydantic_message(error))
    return only_path, fields


def _not_found(api: NinjaAPI, request: HttpRequest) -> HttpResponse:
    return _respond(api, request, 404, error_body(NotFound.code, NotFound.default_message))


def _existing_person(request: HttpRequest, existing: Any) -> dict | None:
    """`{id, url}` of the person who already has the ID number, if the caller may see them."""
    try:
        person = person_get_for(user=request.user, person_id=existing.pk)
    except NotFound:
        return None
    return {"id": person.pk, "url": reverse("api:person_get", kwargs={"person_id": person.pk})}


def install(api: NinjaAPI) -> None:
    """Replace ninja's default error responses with the `{"code", "message", "fields"}` shape."""

    @api.exception_handler(DuplicatePerson)
    def duplicate(request: HttpRequest, exc: DuplicatePerson) -> HttpResponse:
        fields = field_errors(exc)
        body = error_body("duplicate", fields["id_number"][0], fields)
        existing = _existing_person(request, exc.existing)
        if existing is not None:
            body["existing"] = existing
        return _respond(api, request, 409, body)

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = field_errors(exc)
        if list(fields) == ["__all__"]:
            message = " ".join(fields["__all__"])
        else:
            message = _("Some fields are not valid; see the messages for each field.")
        return _respond(api, request, 400, error_body("invalid", message, fields))

    @api.exception_handler(NinjaValidationError)
    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        only_path, fields = request_validation_fields(exc)
        if only_path:
            # `/persons/abc` names no object, like a missing or out-of-scope id.
            return _not_found(api, request)
        message = _("Some fields are not valid; see the messages for each field.")
        return _respond(api, request, 422, error_body("invalid", message, fields))

    @api.exception_handler(DomainError)
    def domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _respond(api, request, exc.status, error_body(exc.code, exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _not_found(api, request)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        # Refused callers never reach the operation's throttles: count them here.
        throttle = AnonymousThrottle()
        if not throttle.allow_request(request):
            return too_many(request, throttle.wait())
        message = _("Sign in, or send a valid API key in the X-API-Key header.")
        response = _respond(api, request, 401, error_body("unauthenticated", message))
        response["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
        return response

    @api.exception_handler(RawPostDataException)
    def body_already_read(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
        # A form (multipart) sent to an operation that takes JSON: the session's CSRF check
        # parsed it as a form, so there is no JSON left to read. Same answer as with a key.
        message = _("The request body could not be read; send a JSON object.")
        return _respond(api, request, 400, error_body("bad_request", message))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {400: "bad_request", 403: "forbidden", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "throttled" if exc.status_code == 429 else "error")
        messages = {
            400: _("The request body could not be read; send a JSON object."),
            403: _("Your role does not allow this."),
            429: _("Too many requests; wait a moment and try again."),
        }
        message = messages.get(exc.status_code, _("The request could not be completed."))
        return _respond(api, request, exc.status_code, error_body(code, message))

    def too_many(request: HttpRequest, wait: float | None) -> HttpResponse:
        message = _("Too many requests; wait a moment and try again.")
        response = _respond(api, request, 429, error_body("throttled", message))
        response["Retry-After"] = str(max(1, math.ceil(wait or 60)))
        return response
