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

Keys are the platform's API keys (`gongzhi apikey issue`), sent as `X-API-Key` (or the
spec's `api_key` parameter); the jurisdiction is the key's membership's area.

Privacy: without a key, or outside the key's area, a request shows only its service, status,
dates, the level handling it and its community and grid — never the description, the
address of a household, coordinates or who asked. Errors are the spec's
`[{"code": …, "description": …}]` with the same HTTP status.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.accounts import access
from gongzhi.accounts.policy import Perm
from gongzhi.accounts.services import api_key_authenticate
from gongzhi.core import clock, scope
from gongzhi.core.errors import NotFound
from gongzhi.registry.models import Area, AreaKind, Household
from gongzhi.workorders import selectors, services
from gongzhi.workorders.models import Category, Channel, Priority, WorkOrder
from gongzhi.workorders.states import Status

OPEN = "open"
CLOSED = "closed"
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)
DEFAULT_WINDOW = dt.timedelta(days=90)  # the spec's default for a list without dates
MAX_RESULTS = 1000
MAX_IDS = 100
KEY_HEADER = "HTTP_X_API_KEY"

# Request fields (GeoReport v2), in the spec's order.
REQUEST_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
)  # fmt: skip
SERVICE_FIELDS = (
    "jurisdiction_id", "service_code", "service_name", "description", "metadata", "type",
    "keywords", "group",
)  # fmt: skip


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        self.status = status
        self.description = description
        super().__init__(description)


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
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _single_xml(root: str, row: dict[str, Any]) -> str:
    element = ET.Element(root)
    _fill(element, row)
    return ET.tostring(element, encoding="unicode")


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _respond(fmt, "errors", "error", [{"code": status, "description": description}], status)


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- the key --------------------------------------------------------------------------------


def _key_user(request: HttpRequest) -> Any:
    """The user of a valid key, limited to the key's membership; None without a key;
    Open311Error(403) for a key that is wrong, revoked or expired."""
    raw = request.META.get(KEY_HEADER) or request.POST.get("api_key") or request.GET.get("api_key")
    if not raw:
        return None
    membership = api_key_authenticate(raw) if raw.isascii() else None
    if membership is None:
        raise Open311Error(403, "api_key is invalid, revoked or expired")
    user = membership.user
    access.bind_api_membership(user, membership)
    return user


# --- services -------------------------------------------------------------------------------


def _service(category: Category) -> dict[str, Any]:
    return {
        "jurisdiction_id": None,
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


@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"}))
    base = base.rsplit("/", 1)[0] + "/"
    body = {
        "changeset": "2026-11-29T00:00:00+08:00",
        "contact": "The community office of your jurisdiction",
        "key_service": "Ask the platform's administrator for an API key (gongzhi apikey issue).",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-11-29T00:00:00+08:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return _respond(fmt, "discovery", "discovery", body)


@require_GET
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [_service(c) for c in selectors.category_list()]
    return _respond(fmt, "services", "service", rows)


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    try:
        category = selectors.category_get(code)
    except NotFound:
        return _error(fmt, 404, f"service_code {code!r} not found")
    body = {"service_code": category.code, "attributes": _attributes(category)}
    return _respond(fmt, "service_definition", "service_definition", body)


# --- requests -------------------------------------------------------------------------------


def _open_or_closed(order: WorkOrder) -> str:
    return CLOSED if order.status in CLOSED_STATUSES else OPEN


def _coarse_place(order: WorkOrder, names: dict[str, str]) -> str:
    """Community and grid, never the household."""
    path = order.area_path
    parts = [names[p] for p in selectors.prefixes(path) if p in names]
    return " ".join(parts)


def _request_row(order: WorkOrder, *, full: bool, names: dict[str, str]) -> dict[str, Any]:
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
        "address": _coarse_place(order, names),
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if full:
        row["description"] = order.description
        row["address"] = order.address or row["address"]
        row["address_id"] = order.place.code
        row["lat"] = float(order.lat) if order.lat is not None else None
        row["long"] = float(order.lon) if order.lon is not None else None
        if order.resolution:
            row["status_notes"] = f"{row['status_notes']}: {order.resolution}"
        first = order.attachments.order_by("pk").first()
        if first is not None:
            row["media_url"] = reverse("api:workorder_photo_get", args=[order.pk, first.pk])
    return row


def _names_for(orders: list[WorkOrder]) -> dict[str, str]:
    """Names of the communities and grids above the orders' places, in one query."""
    paths = {p for o in orders for p in selectors.prefixes(o.area_path)}
    rows = Area.objects.filter(
        path__in=paths, kind__in=[AreaKind.COMMUNITY, AreaKind.GRID]
    ).values_list("path", "name")
    return dict(rows)


def _rows(orders: list[WorkOrder], user: Any) -> list[dict[str, Any]]:
    names = _names_for(orders)
    return [
        _request_row(o, full=user is not None and selectors.is_staff_for(user, o), names=names)
        for o in orders
    ]


def _when(value: str, field: str) -> dt.datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is not None:
            parsed = dt.datetime.combine(day, dt.time(0, 0))
    if parsed is None:
        raise Open311Error(400, f"{field} must be a W3C date, e.g. 2026-11-29T09:00:00+08:00")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _list_requests(request: HttpRequest, fmt: str, user: Any) -> HttpResponse:
    params = request.GET
    orders = WorkOrder.objects.select_related("category", "level", "place")
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        if len(ids) > MAX_IDS or not all(i.isdigit() and len(i) < 19 for i in ids):
            raise Open311Error(400, "service_request_id must be up to 100 comma-separated numbers")
        orders = orders.filter(pk__in=[int(i) for i in ids])
    else:
        end = _when(params["end_date"], "end_date") if params.get("end_date") else clock.now()
        start = (
            _when(params["start_date"], "start_date")
            if params.get("start_date")
            else end - DEFAULT_WINDOW
        )
        if start > end:
            raise Open311Error(400, "start_date is after end_date")
        orders = orders.filter(submitted_at__gte=start, submitted_at__lte=end)
    codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
    if codes:
        orders = orders.filter(category__code__in=codes)
    statuses = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
    if statuses - {OPEN, CLOSED}:
        raise Open311Error(400, "status must be open, closed or both")
    if statuses == {OPEN}:
        orders = orders.exclude(status__in=CLOSED_STATUSES)
    elif statuses == {CLOSED}:
        orders = orders.filter(status__in=CLOSED_STATUSES)
    jurisdiction = params.get("jurisdiction_id", "").strip()
    if jurisdiction:
        area = Area.objects.filter(code=jurisdiction[:40]).first()
        if area is None:
            raise Open311Error(404, "jurisdiction_id not found")
        orders = orders.filter(scope.q_within("area_path", [area.path]))
    found = list(orders.order_by("-submitted_at", "-id")[:MAX_RESULTS])
    return _respond(fmt, "service_requests", "request", _rows(found, user))


def _number(value: str, field: str, bound: int) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Open311Error(400, f"{field} must be a number") from None
    if not number.is_finite() or not -bound <= number <= bound:
        raise Open311Error(400, f"{field} is out of range")
    return number.quantize(Decimal("0.000001"))


def _place_for_post(user: Any, data: Any) -> tuple[Area | None, Household | None, str]:
    """Where the request is: `address_id` (an area code of the key's area), else an
    address of the register matched exactly, else the key's own area with the text."""
    allowed = access.paths(user, Perm.WORKORDER_REQUEST)
    address_id = data.get("address_id", "").strip()
    address = data.get("address_string", "").strip()[:200]
    if address_id:
        area = Area.objects.filter(code=address_id[:40]).first()
        if area is None or not scope.within(area.path, allowed):
            raise Open311Error(400, "address_id is not an area of this key's jurisdiction")
        return area, None, address
    if address:
        household = (
            Household.objects.filter(scope.q_within("area_path", allowed), address=address)
            .exclude(status="closed")
            .select_related("building")
            .first()
        )
        if household is not None:
            return None, household, address
    home = Area.objects.filter(path__in=allowed).order_by("path").first()
    if home is None:
        raise Open311Error(403, "this key may not file requests")
    if home.kind not in services.PLACE_KINDS:
        raise Open311Error(400, "this key's area cannot receive requests; send address_id")
    return home, None, address


def _post_request(request: HttpRequest, fmt: str, user: Any) -> HttpResponse:
    if user is None:
        raise Open311Error(403, "api_key was not provided")
    if not access.can(user, Perm.WORKORDER_REQUEST):
        raise Open311Error(403, "this key's role may not file requests")
    data = request.POST
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    try:
        category = selectors.category_get(code)
    except NotFound:
        raise Open311Error(404, f"service_code {code!r} not found") from None
    if not any(data.get(k, "").strip() for k in ("lat", "long", "address_string", "address_id")):
        raise Open311Error(
            400, "a location is required: lat and long, address_string or address_id"
        )
    lat = _number(data.get("lat", "").strip(), "lat", 90)
    lon = _number(data.get("long", "").strip(), "long", 180)
    place, household, address = _place_for_post(user, data)
    priority = data.get("attribute[priority]", "").strip()
    if priority and priority not in Priority.values:
        raise Open311Error(400, "attribute[priority] must be one of " + ", ".join(Priority.values))
    preferred = data.get("attribute[preferred_time]", "").strip()
    name = " ".join(
        p for p in (data.get("last_name", "").strip(), data.get("first_name", "").strip()) if p
    )
    try:
        order = services.workorder_create(
            actor=user,
            category=category,
            description=data.get("description", ""),
            household=household,
            place=place,
            priority=priority,
            anonymous=data.get("attribute[anonymous]", "").lower() == "true",
            preferred_at=_when(preferred, "attribute[preferred_time]") if preferred else None,
            channel=Channel.OPEN311,
            contact_name=name[:40],
            contact_phone=data.get("phone", "").strip(),
            address=address,
            lat=lat,
            lon=lon,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
        )
        raise Open311Error(400, problems) from None
    notice = "Received; the grid handling it will be told now."
    if data.get("media_url"):
        notice += " media_url is not fetched: send photos through the REST API."
    body = [{"service_request_id": str(order.pk), "service_notice": notice, "account_id": None}]
    return _respond(fmt, "service_requests", "request", body, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        user = _key_user(request)
        if request.method == "POST":
            return _post_request(request, fmt, user)
        return _list_requests(request, fmt, user)
    except Open311Error as exc:
        return _error(fmt, exc.status, exc.description)


@require_GET
def request_(request: HttpRequest, workorder_id: str, fmt: str) -> HttpResponse:
    try:
        user = _key_user(request)
    except Open311Error as exc:
        return _error(fmt, exc.status, exc.description)
    order = (
        WorkOrder.objects.select_related("category", "level", "place")
        .filter(Q(pk=int(workorder_id)) if len(workorder_id) < 19 else Q(pk__in=[]))
        .first()
    )
    if order is None:
        return _error(fmt, 404, "service_request_id not found")
    return _respond(fmt, "service_requests", "request", _rows([order], user))
