"""Open311 GeoReport v2 at /open311/v2/, so street and city systems and third-party apps
exchange requests with the platform (https://wiki.open311.org/GeoReport_v2).

| endpoint | method | who |
| --- | --- | --- |
| `discovery.{json,xml}` | GET | anyone |
| `services.{json,xml}` | GET | anyone: the categories |
| `services/{service_code}.{json,xml}` | GET | anyone: the category's attributes |
| `requests.{json,xml}` | GET | anyone (public fields); with a key, full fields in its area |
| `requests.{json,xml}` | POST | an API key whose role may ask (`workorder.request`) |
| `requests/{service_request_id}.{json,xml}` | GET | as `requests` |
| `media/{signed token}` | GET | whoever holds the link (`media_url`), for 7 days |

Every service is `realtime`: a POST answers the `service_request_id` at once, so there is
no `tokens/` resource.

Keys are the platform's API keys (`gongzhi apikey issue`), sent as `X-API-Key` (or the
spec's `api_key` parameter). A key acts only inside its membership's area.

Jurisdictions: the endpoint serves every community on the platform, and a community's
area code is its `jurisdiction_id` (e.g. `421087001001`). The parameter is optional: a key
already names its area. When sent, it must be a community's code, and with a key one that
overlaps the key's area (the key's own community, or one under a street's key); anything
else is 404 on every endpoint, and a POST is never filed elsewhere than it says. Requests
outside the named jurisdiction are not listed and are 404 one by one.

GET requests (the spec's rules): `service_request_id` (comma-separated, up to 100)
overrides every other argument except the jurisdiction. `service_code`, `status` and
`service_request_id` are lists: comma-separated and/or repeated, and repeats are a union
(`status=open&status=closed` is both). Any other parameter sent twice is 400. Dates are
W3C (a plain date is the start of that day, a time without an offset is local time) from
1900 to 2999; an impossible one (month 13, 30 February) is 400. The window is at most 90
days: the last 90 days without dates, the 90 days up to `end_date` or from `start_date`
when only one is sent, and 400 when the two are more than 90 days apart. At most 1000
requests, newest first.

POST: `lat` and `long` come together; `description` is at most 4,000 characters (the
spec's limit; the platform's own, lower, limit is checked by the service and also named);
every refusal names its field, in the spec's names (`first_name`/`last_name`, `phone`,
`address_string`, `attribute[…]`). The body is `application/x-www-form-urlencoded` (or
`multipart/form-data`) in UTF-8, at most 64 KiB.

`address` runs from the most specific to the most general unit, comma-separated: the
written address of the place (as the register writes it), then its grids, then its
community. `media_url` is an absolute, signed link to the request's first photo that
expires after 7 days (`media_links`); it names no person, and serves the photo with the
workbench's headers.

Privacy: without a key, or outside the key's area, a request shows only its service, status,
dates, the level handling it and its grid and community — never the description, the
address of a household, coordinates, photos or who asked.

Errors are always the spec's `[{"code": …, "description": …}]` (`<errors><error>` in XML)
with the same HTTP status, in the format of the URL's suffix (XML, the spec's required
format, when the suffix is not json or xml): 400 for a wrong parameter or format, 403 for
a missing or wrong key, 404 for anything that does not exist (a service, a request, a
jurisdiction, an unknown path), 405 for a wrong method (with `Allow`), 413 for a body
over 64 KiB, 415 for a body that is not a form.
"""

from __future__ import annotations

import datetime as dt
import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.core.signals import got_request_exception
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.log import log_response
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import api_key_authenticate
from gongzhi.core import clock, scope
from gongzhi.core.errors import NotFound
from gongzhi.registry.models import Area, AreaKind, Household
from gongzhi.workorders import filing, media_links, policy, rules, selectors, uploads
from gongzhi.workorders.models import Attachment, Category, Channel, Priority, WorkOrder
from gongzhi.workorders.states import Status

if TYPE_CHECKING:
    from gongzhi.accounts.models import User

OPEN = "open"
CLOSED = "closed"
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
WINDOW = dt.timedelta(days=90)  # the spec's default window, and the longest one
MAX_RESULTS = 1000
MAX_IDS = 100
DESCRIPTION_LIMIT = 4000  # the spec's "free form text limited to 4,000 characters"
MAX_BODY = 64 * 1024  # a 4,000-character Chinese description is 36 KiB percent-encoded
YEARS = (1900, 2999)
FORMATS = ("json", "xml")
FALLBACK_FORMAT = "xml"  # the spec's required format: errors for an unknown suffix
LIST_PARAMS = ("service_request_id", "service_code", "status")
KEY_HEADER = "HTTP_X_API_KEY"
CHANGESET = "2026-12-05T00:00:00+08:00"  # when this endpoint last changed

# Request fields (GeoReport v2), in the spec's order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
)  # fmt: skip
SERVICE_FIELDS = (
    "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
)  # fmt: skip
# The service's field names → the spec's, so a refusal names what the client sent.
SPEC_FIELD = {
    "description": "description",
    "contact_name": "first_name/last_name",
    "contact_phone": "phone",
    "address": "address_string",
    "place": "address_id",
    "household": "address_string",
    "lat": "lat",
    "lon": "long",
    "priority": "attribute[priority]",
    "anonymous": "attribute[anonymous]",
    "preferred_at": "attribute[preferred_time]",
    "category": "service_code",
}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        self.status = status
        self.descriptions = descriptions
        super().__init__("; ".join(descriptions))


def _refuse(status: int, message: str, values: dict[str, Any]) -> Open311Error:
    """An error whose message names the field and the rule: `message % values`."""
    return Open311Error(status, message % values)


# --- output -------------------------------------------------------------------------------


def _to_xml(root: str, item: str, rows: list[dict[str, Any]]) -> str:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        _fill(element, row)
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")


def _fill(element: ET.Element, row: dict[str, Any]) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
                        "formats": "format"}.get(key, "item")  # fmt: skip
            for entry in value:
                sub = ET.SubElement(child, singular)
                if isinstance(entry, dict):
                    _fill(sub, entry)
                else:
                    sub.text = _text(entry)
        elif isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _respond(fmt: str, root: str, item: str, rows: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        if isinstance(rows, dict):
            body = '<?xml version="1.0" encoding="utf-8"?>' + _single_xml(root, rows)
        else:
            body = _to_xml(root, item, rows)
        response = HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    else:
        response = JsonResponse(
            rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False}
        )
        response["Content-Type"] = "application/json; charset=utf-8"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _single_xml(root: str, row: dict[str, Any]) -> str:
    element = ET.Element(root)
    _fill(element, row)
    return ET.tostring(element, encoding="unicode")


def _error(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    rows = [{"code": status, "description": str(d)} for d in descriptions]
    return _respond(fmt, "errors", "error", rows, status)


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- every call: method, format, body, key, jurisdiction ---------------------------------


@dataclass
class Call:
    """What every endpoint reads first, checked."""

    params: QueryDict  # the query string, and on POST the body too
    user: User | None  # the key's user, limited to the key's membership; None without a key
    key_path: str | None  # the key's area
    jurisdiction: Area | None  # the community named by jurisdiction_id


def _endpoint(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., Any]]:
    """Wrap an Open311 view: a wrong method, format, body, key or jurisdiction, and any
    failure inside, come back as the spec's errors, never as Django's HTML pages."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
        @csrf_exempt
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str = "", **kwargs: Any) -> HttpResponse:
            out = fmt if fmt in FORMATS else FALLBACK_FORMAT
            try:
                if request.method not in allowed:
                    message = _("%(method)s is not allowed here; use %(allowed)s.")
                    values = {"method": request.method, "allowed": ", ".join(methods)}
                    response = _error(out, 405, message % values)
                    response["Allow"] = ", ".join(allowed)
                    return response
                if fmt not in FORMATS:
                    raise Open311Error(
                        400, _("The format must be json or xml, as in requests.json.")
                    )
                return view(request, _call(request), out, *args, **kwargs)
            except Open311Error as exc:
                return _error(out, exc.status, *exc.descriptions)
            except Exception as exc:
                return _failed(request, out, exc)

        return run

    return wrap


def _failed(request: HttpRequest, fmt: str, exc: Exception) -> HttpResponse:
    """A bug: tell error reporting (and the test client) as Django would, answer the spec's
    error rather than an HTML page."""
    got_request_exception.send(sender=None, request=request)
    response = _error(fmt, 500, _("The service failed; the platform's staff have been told."))
    log_response(
        "%s: %s",
        "Internal Server Error",
        request.path,
        response=response,
        request=request,
        exception=exc,
    )
    return response


def _call(request: HttpRequest) -> Call:
    params = _params(request)
    user, key_path = _key_user(request, params)
    return Call(params, user, key_path, _jurisdiction(params, key_path))


def _not_utf8() -> Open311Error:
    return Open311Error(400, _("Parameters must be UTF-8 (percent-encoded in the URL)."))


def _check_utf8(raw: bytes) -> None:
    """Django replaces broken bytes silently; the spec says the text is UTF-8: refuse it."""
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise _not_utf8() from None


def _params(request: HttpRequest) -> QueryDict:
    """The parameters, checked: UTF-8 (the spec's rule; Django would replace broken bytes
    silently), a form body of at most MAX_BODY bytes, at most Django's number of fields."""
    query = request.META.get("QUERY_STRING", "")
    try:
        raw_query = query.encode("iso-8859-1")  # WSGI hands the raw bytes over as Latin-1
    except UnicodeEncodeError:
        raw_query = query.encode("utf-8")
    _check_utf8(raw_query)
    too_big = _refuse(413, _("The body is over %(max)d bytes."), {"max": MAX_BODY})
    try:
        if request.method != "POST":
            return request.GET
        charset = (request.content_params or {}).get("charset", "utf-8").lower().replace("-", "")
        if charset != "utf8":
            raise _not_utf8()
        if _content_length(request) > MAX_BODY:
            raise too_big
        if request.content_type == "application/x-www-form-urlencoded":
            _check_utf8(request.body)
            body = request.POST
        elif request.content_type == "multipart/form-data":
            body = request.POST
            if any("\ufffd" in v for name, values in body.lists() for v in (name, *values)):
                raise _not_utf8()
        elif _content_length(request) == 0:
            body = QueryDict()
        else:
            message = _("Send the body as application/x-www-form-urlencoded, in UTF-8.")
            raise Open311Error(415, message)
        merged = request.GET.copy()
    except RequestDataTooBig:
        raise too_big from None
    except (TooManyFieldsSent, MultiPartParserError):
        raise Open311Error(400, _("The parameters are not a form the service can read.")) from None
    for name, values in body.lists():
        merged.setlist(name, merged.getlist(name) + values)
    return merged


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _one(params: QueryDict, name: str) -> str:
    """A single-valued parameter, stripped; sent twice is an error, not the last one wins."""
    values = params.getlist(name)
    if len(values) > 1:
        raise _refuse(
            400,
            _("%(field)s was sent %(count)d times; send it once."),
            {"field": name, "count": len(values)},
        )
    return values[0].strip() if values else ""


def _many(params: QueryDict, name: str) -> list[str]:
    """A list parameter: comma-separated and/or repeated, the union in the order sent."""
    found: list[str] = []
    for value in params.getlist(name):
        for part in value.split(","):
            if part.strip() and part.strip() not in found:
                found.append(part.strip())
    return found


def _key_user(request: HttpRequest, params: QueryDict) -> tuple[User | None, str | None]:
    """The user of a valid key, limited to the key's membership, and the key's area; (None,
    None) without a key; Open311Error(403) for a key that is wrong, revoked or expired."""
    raw = request.META.get(KEY_HEADER) or _one(params, "api_key")
    if not raw:
        return None, None
    membership = api_key_authenticate(raw) if raw.isascii() else None
    if membership is None:
        raise Open311Error(403, _("api_key is invalid, revoked or expired."))
    user = membership.user
    access.bind_api_membership(user, membership)
    return user, membership.area.path


def _jurisdiction(params: QueryDict, key_path: str | None) -> Area | None:
    code = _one(params, "jurisdiction_id")
    if not code:
        return None
    area = (
        Area.objects.filter(code=code, kind=AreaKind.COMMUNITY).first() if len(code) <= 40 else None
    )
    if area is not None and key_path is not None:
        area = area if scope.overlaps(area.path, [key_path]) else None
    if area is None:
        raise Open311Error(
            404,
            _("jurisdiction_id not found: it is the area code of a community this key serves.")
            if key_path
            else _("jurisdiction_id not found: it is the area code of a community."),
        )
    return area


# --- discovery and services -----------------------------------------------------------------


def _service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.description_en,
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(k for k in (category.name_en, category.skill, category.kind) if k),
        "group": str(category.get_kind_display()),
    }


def _attributes(category: Category) -> list[dict[str, Any]]:
    attributes = [
        {
            "variable": True,
            "code": "priority",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": "How urgent; the deadlines (SLA) follow it.",
            "order": 1,
            "description": "Priority",
            "values": [{"key": p.value, "name": str(p.label)} for p in Priority],
        },
        {
            "variable": True,
            "code": "preferred_time",
            "datatype": "datetime",
            "required": False,
            "datatype_description": "ISO 8601, e.g. 2026-12-01T09:00:00+08:00",
            "order": 2,
            "description": "When would suit the resident",
            "values": [],
        },
    ]
    if category.allows_anonymous:
        attributes.append(
            {
                "variable": True,
                "code": "anonymous",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "Hide who asked from the volunteer (never from staff).",
                "order": 3,
                "description": "Anonymous",
                "values": [{"key": "true", "name": "yes"}, {"key": "false", "name": "no"}],
            }
        )
    return attributes


@_endpoint("GET")
def discovery(request: HttpRequest, call: Call, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"}))
    base = base.rsplit("/", 1)[0] + "/"
    body = {
        "changeset": CHANGESET,
        "contact": "The community office of your jurisdiction",
        "key_service": "Ask the platform's administrator for an API key (gongzhi apikey issue).",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _respond(fmt, "discovery", "discovery", body)


@_endpoint("GET")
def services_list(request: HttpRequest, call: Call, fmt: str) -> HttpResponse:
    rows = [_service(c) for c in selectors.category_list()]
    return _respond(fmt, "services", "service", rows)


def _category(code: str) -> Category:
    try:
        return selectors.category_get(code)
    except NotFound:
        raise Open311Error(404, _("service_code not found; services.json lists them.")) from None


@_endpoint("GET")
def service_definition(request: HttpRequest, call: Call, fmt: str, code: str) -> HttpResponse:
    category = _category(code)
    body = {"service_code": category.code, "attributes": _attributes(category)}
    return _respond(fmt, "service_definition", "service_definition", body)


# --- requests: reading ------------------------------------------------------------------------


def _open_or_closed(order: WorkOrder) -> str:
    return CLOSED if order.status in CLOSED_STATUSES else OPEN


def _coarse_place(order: WorkOrder, names: dict[str, str]) -> list[str]:
    """The grids and the community above the order's place, the nearest first."""
    return [
        names[p] for p in reversed(scope.ancestors(order.area_path, inclusive=True)) if p in names
    ]


def _request_row(
    order: WorkOrder, *, full: bool, names: dict[str, str], request: HttpRequest
) -> dict[str, Any]:
    coarse = _coarse_place(order, names)
    row: dict[str, Any] = {
        "service_request_id": str(order.pk),
        "status": _open_or_closed(order),
        "status_notes": str(order.get_status_display()),
        "service_name": order.category.name,
        "service_code": order.category.code,
        "description": None,
        "agency_responsible": order.level.name,
        "service_notice": None,
        "requested_datetime": _w3c(order.submitted_at),
        "updated_datetime": _w3c(order.updated_at),
        "expected_datetime": _w3c(order.resolve_due),
        "address": ", ".join(coarse),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if full:
        row["description"] = order.description
        if order.address:
            row["address"] = ", ".join([order.address, *(c for c in coarse if c != order.address)])
        row["address_id"] = order.place.code
        row["lat"] = float(order.lat) if order.lat is not None else None
        row["long"] = float(order.lon) if order.lon is not None else None
        if order.resolution:
            row["status_notes"] = f"{row['status_notes']}: {order.resolution}"
        first = order.attachments.order_by("pk").first()
        if first is not None:
            token = media_links.sign(first.pk)
            row["media_url"] = request.build_absolute_uri(
                reverse("open311:media", kwargs={"token": token})
            )
    return row


def _names_for(orders: list[WorkOrder]) -> dict[str, str]:
    """Names of the communities and grids above the orders' places, in one query."""
    paths = {p for o in orders for p in scope.ancestors(o.area_path, inclusive=True)}
    rows = Area.objects.filter(
        path__in=paths, kind__in=[AreaKind.COMMUNITY, AreaKind.GRID]
    ).values_list("path", "name")
    return dict(rows)


def _rows(orders: list[WorkOrder], call: Call, request: HttpRequest) -> list[dict[str, Any]]:
    names = _names_for(orders)
    user = call.user
    return [
        _request_row(
            o,
            full=user is not None and policy.is_staff_for(user, o),
            names=names,
            request=request,
        )
        for o in orders
    ]


def _when(value: str, field: str) -> dt.datetime:
    """A W3C date or date-time; 400 naming the field for a wrong or impossible one."""
    example = "2026-11-29T09:00:00+08:00"
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            parsed = dt.datetime.combine(day, dt.time(0, 0)) if day is not None else None
    except ValueError:  # well-formed but impossible: month 13, 30 February, 25 o'clock
        raise _refuse(
            400,
            _("%(field)s is not a real date or time; e.g. %(example)s."),
            {"field": field, "example": example},
        ) from None
    if parsed is None:
        raise _refuse(
            400,
            _("%(field)s must be a W3C date, e.g. %(example)s."),
            {"field": field, "example": example},
        )
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise _refuse(
            400,
            _("%(field)s must be between the years %(first)d and %(last)d."),
            {"field": field, "first": YEARS[0], "last": YEARS[1]},
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _window(params: QueryDict) -> tuple[dt.datetime, dt.datetime]:
    """The spec's window: the last 90 days by default, never more than 90 days."""
    start_raw, end_raw = _one(params, "start_date"), _one(params, "end_date")
    start = _when(start_raw, "start_date") if start_raw else None
    end = _when(end_raw, "end_date") if end_raw else None
    if start is None and end is None:
        end = clock.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if start > end:
        raise Open311Error(400, _("start_date is after end_date."))
    if end - start > WINDOW:
        raise Open311Error(
            400, _("start_date and end_date may not span more than 90 days (GeoReport v2).")
        )
    return start, end


def _ids(params: QueryDict) -> list[int]:
    ids = _many(params, "service_request_id")
    if len(ids) > MAX_IDS or not all(i.isdigit() and len(i) < 19 for i in ids):
        raise _refuse(
            400,
            _("service_request_id must be up to %(max)d comma-separated numbers."),
            {"max": MAX_IDS},
        )
    return [int(i) for i in ids]


def _list_requests(request: HttpRequest, call: Call, fmt: str) -> HttpResponse:
    params = call.params
    orders = WorkOrder.objects.select_related("category", "level", "place")
    if call.jurisdiction is not None:
        orders = orders.within(call.jurisdiction.path)
    ids = _ids(params)
    if ids:  # the spec: "This overrides all other arguments."
        orders = orders.filter(pk__in=ids)
    else:
        start, end = _window(params)
        orders = orders.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = _many(params, "service_code")
        if codes:
            orders = orders.filter(category__code__in=codes)
        statuses = set(_many(params, "status"))
        if statuses - {OPEN, CLOSED}:
            raise Open311Error(400, _("status must be open, closed or both."))
        if statuses == {OPEN}:
            orders = orders.exclude(status__in=CLOSED_STATUSES)
        elif statuses == {CLOSED}:
            orders = orders.filter(status__in=CLOSED_STATUSES)
    found = list(orders.order_by("-submitted_at", "-id")[:MAX_RESULTS])
    return _respond(fmt, "service_requests", "request", _rows(found, call, request))


# --- requests: filing -----------------------------------------------------------------------


def _number(value: str, field: str, bound: int) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Open311Error(400, _("%(field)s must be a number.") % {"field": field}) from None
    if not number.is_finite() or not -bound <= number <= bound:
        raise _refuse(
            400,
            _("%(field)s must be between -%(bound)d and %(bound)d."),
            {"field": field, "bound": bound},
        )
    return number.quantize(Decimal("0.000001"))


def _allowed_paths(user: User, jurisdiction: Area | None) -> list[str]:
    """Where the key may file, narrowed to the jurisdiction when one is named."""
    allowed = access.paths(user, Perm.WORKORDER_REQUEST)
    if jurisdiction is None:
        return allowed
    j = jurisdiction.path
    return [
        p if scope.within(p, [j]) else j
        for p in allowed
        if scope.within(p, [j]) or scope.within(j, [p])
    ]


def _place_for_post(
    allowed: list[str], address_id: str, address: str
) -> tuple[Area | None, Household | None]:
    """Where the request is: `address_id` (an area code inside `allowed`), else an address
    of the register there matched exactly, else the first allowed area with the text."""
    if address_id:
        area = Area.objects.filter(code=address_id).first() if len(address_id) <= 40 else None
        if area is None or not scope.within(area.path, allowed):
            raise Open311Error(400, _("address_id is not an area of this key's jurisdiction."))
        return area, None
    if address:
        household = (
            Household.objects.within(*allowed)
            .filter(address=address)
            .exclude(status="closed")
            .select_related("building")
            .first()
        )
        if household is not None:
            return None, household
    home = Area.objects.filter(path__in=allowed).order_by("path").first()
    if home is None:
        raise Open311Error(403, _("This key may not file requests."))
    if home.kind not in rules.PLACE_KINDS:
        raise Open311Error(400, _("This key's area cannot receive requests; send address_id."))
    return home, None


def _posted_attributes(params: QueryDict, category: Category) -> dict[str, str]:
    """`attribute[code]=value` for the service's attributes; others are an error."""
    known = {a["code"] for a in _attributes(category)}
    found: dict[str, str] = {}
    for name in params:
        if not name.startswith("attribute"):
            continue
        code = name[len("attribute[") : -1] if name.startswith("attribute[") else ""
        if not name.endswith("]") or code not in known:
            raise _refuse(
                400,
                _("%(field)s is not an attribute of service %(code)s; see its definition."),
                {"field": name, "code": category.code},
            )
        found[code] = _one(params, name)
    priority = found.get("priority", "")
    if priority and priority not in Priority.values:
        raise _refuse(
            400,
            _("attribute[priority] must be one of %(values)s."),
            {"values": ", ".join(Priority.values)},
        )
    if found.get("anonymous", "").lower() not in ("", "true", "false"):
        raise Open311Error(400, _("attribute[anonymous] must be true or false."))
    return found


def _refusals(exc: ValidationError) -> Open311Error:
    """The service's refusals, one error each, under the spec's field names."""
    return Open311Error(
        400,
        *(
            f"{SPEC_FIELD.get(field, field)}: {' '.join(str(m) for m in messages)}"
            for field, messages in exc.message_dict.items()
        ),
    )


def _post_request(request: HttpRequest, call: Call, fmt: str) -> HttpResponse:
    user, params = call.user, call.params
    if user is None:
        raise Open311Error(403, _("api_key was not provided."))
    if not access.can(user, Perm.WORKORDER_REQUEST):
        raise Open311Error(403, _("This key's role may not file requests."))
    code = _one(params, "service_code")
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = _category(code)
    lat_raw, lon_raw = _one(params, "lat"), _one(params, "long")
    address_id, address = _one(params, "address_id"), _one(params, "address_string")
    if bool(lat_raw) != bool(lon_raw):
        raise Open311Error(400, _("lat and long must be sent together."))
    if not (lat_raw or address_id or address):
        raise Open311Error(
            400, _("A location is required: lat and long, address_string or address_id.")
        )
    lat = _number(lat_raw, "lat", 90)
    lon = _number(lon_raw, "long", 180)
    description = _one(params, "description")
    if len(description) > DESCRIPTION_LIMIT:
        raise _refuse(
            400,
            _("description: at most %(max)d characters (GeoReport v2); this has %(count)d."),
            {"max": DESCRIPTION_LIMIT, "count": len(description)},
        )
    attributes = _posted_attributes(params, category)
    preferred = attributes.get("preferred_time", "")
    preferred_at = _when(preferred, "attribute[preferred_time]") if preferred else None
    place, household = _place_for_post(_allowed_paths(user, call.jurisdiction), address_id, address)
    name = " ".join(p for p in (_one(params, "last_name"), _one(params, "first_name")) if p)
    for unused in ("email", "device_id", "account_id", "media_url"):
        _one(params, unused)  # not stored, but sent twice is as wrong as anything else
    try:
        order = filing.workorder_create(
            actor=user,
            category=category,
            description=description,
            household=household,
            place=place,
            priority=attributes.get("priority", ""),
            anonymous=attributes.get("anonymous", "").lower() == "true",
            preferred_at=preferred_at,
            channel=Channel.OPEN311,
            contact_name=name,
            contact_phone=_one(params, "phone"),
            address=address,
            lat=lat,
            lon=lon,
        )
    except ValidationError as exc:
        raise _refusals(exc) from None
    notice = _("Received; the grid handling it will be told now.")
    if _one(params, "media_url"):
        notice += " " + _("media_url is not fetched: send photos through the REST API.")
    body = [{"service_request_id": str(order.pk), "service_notice": notice, "account_id": None}]
    return _respond(fmt, "service_requests", "request", body, status=201)


@_endpoint("GET", "POST")
def requests_(request: HttpRequest, call: Call, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, call, fmt)
    return _list_requests(request, call, fmt)


@_endpoint("GET")
def request_(request: HttpRequest, call: Call, fmt: str, workorder_id: str) -> HttpResponse:
    orders = WorkOrder.objects.select_related("category", "level", "place")
    if call.jurisdiction is not None:
        orders = orders.within(call.jurisdiction.path)
    order = orders.filter(
        Q(pk=int(workorder_id)) if len(workorder_id) < 19 else Q(pk__in=[])
    ).first()
    if order is None:
        raise Open311Error(404, _("service_request_id not found."))
    return _respond(fmt, "service_requests", "request", _rows([order], call, request))


# --- media and everything else ----------------------------------------------------------------


@csrf_exempt
def media(request: HttpRequest, token: str) -> HttpResponseBase:
    """The photo behind a `media_url`: the link is the permission, so no key is needed."""
    if request.method not in ("GET", "HEAD"):
        response = _error(FALLBACK_FORMAT, 405, _("Use GET."))
        response["Allow"] = "GET, HEAD"
        return response
    try:
        attachment_id = media_links.attachment_id(token)
    except media_links.Expired:
        return _error(
            FALLBACK_FORMAT, 403, _("This media link has expired; ask for the request again.")
        )
    except media_links.Invalid:
        return _error(FALLBACK_FORMAT, 404, _("No such media."))
    # The signature is the authorisation: no viewer to scope by, so not a selector's read.
    photo = Attachment.objects.filter(pk=attachment_id).first()
    try:
        handle = uploads.open_stored(photo.path) if photo is not None else None
    except FileNotFoundError:
        handle = None
    if photo is None or handle is None:
        return _error(FALLBACK_FORMAT, 404, _("No such media."))
    return uploads.photo_response(handle, photo.content_type)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /open311/v2/: the spec's 404, not Django's page."""
    fmt = "json" if rest.endswith(".json") else FALLBACK_FORMAT
    message = _(
        "No such resource. The endpoints are discovery, services, services/{service_code}, "
        "requests and requests/{service_request_id}."
    )
    return _error(fmt, 404, message)
