"""Every UI route and every API operation × every role × an object in and out of the
role's area: allowed, denied (404, as if missing), forbidden (403, visible but not the
role's to do), or sent to sign in — and, where allowed, personal data masked.

The routes come from the URLconf and the operations from the OpenAPI schema, so a new
route or operation that is not listed here fails `test_every_*_is_in_the_matrix`.
The expectations are written out here from the product's role table (docs/security.md),
not derived from `accounts.policy`, so the test can disagree with the code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts.models import Role
from gongzhi.api.main import api
from gongzhi.registry import services
from gongzhi.testing import make_id_number

# --- what each role may do (docs/security.md) --------------------------------------------

VIEW, EDIT, REVEAL, AREA, AREA_MANAGE, AUDIT = (
    "view", "edit", "reveal", "area", "area_manage", "audit",
)  # fmt: skip
IMPORT, WATCH_UPLOAD, WATCH_FOLLOW, REPORT, REPORT_MANAGE = (
    "import", "watch_upload", "watch_follow", "report", "report_manage",
)  # fmt: skip
WO_REQUEST, WO_VIEW, WO_DISPATCH, WO_HANDLE, OUTBOX = (
    "wo_request", "wo_view", "wo_dispatch", "wo_handle", "outbox",
)  # fmt: skip
_KEEP = {VIEW, EDIT, REVEAL, AREA, IMPORT, WATCH_FOLLOW, REPORT}
_ORDERS = {WO_REQUEST, WO_VIEW, WO_DISPATCH, WO_HANDLE}
ABILITIES: dict[str, set[str]] = {
    Role.RESIDENT: {WO_REQUEST},
    Role.VOLUNTEER: {WO_HANDLE},
    Role.PARTY_MEMBER: {VIEW, AREA, WO_HANDLE},
    Role.BUILDING_HEAD: {VIEW, AREA, WO_REQUEST},
    Role.GRID_WORKER: _KEEP | _ORDERS,
    Role.GRID_LEADER: _KEEP | _ORDERS,
    Role.COMMUNITY_STAFF: _KEEP | _ORDERS | {WATCH_UPLOAD, REPORT_MANAGE},
    Role.SECRETARY: _KEEP | _ORDERS | {WATCH_UPLOAD, REPORT_MANAGE, AREA_MANAGE},
    Role.POLICE: {VIEW, REVEAL, AREA, WATCH_FOLLOW},
    Role.DOCTOR: {VIEW, REVEAL, AREA, WATCH_FOLLOW},
    Role.STREET_OFFICER: {VIEW, AREA, REPORT, WO_VIEW, WO_DISPATCH},
    Role.AUDITOR: {AUDIT},
    Role.SYSTEM_ADMIN: {AREA, AREA_MANAGE, OUTBOX},
}
# Roles held on the root of the tree: every object is inside their area.
ROOT_ROLES = {Role.AUDITOR, Role.SYSTEM_ADMIN}
ANONYMOUS = "anonymous"
OUTSIDER = "outsider"  # signed in, no membership at all
PRINCIPALS = [ANONYMOUS, OUTSIDER, *Role.values]

ALLOW, DENY, FORBID, LOGIN = "allow", "deny (404)", "forbidden (403)", "sign in"


@dataclass(frozen=True)
class Route:
    need: str  # "public", "login", or an ability
    obj: str | None = None  # "household", "person", "area" — the object named in the URL
    methods: tuple[str, ...] = ("GET",)
    kwargs: dict[str, str] = field(default_factory=dict)
    masked: bool = False  # an allowed GET shows the object's personal data, masked


UI_ROUTES: dict[str, Route] = {
    "healthz": Route("public"),
    "set_language": Route("public", methods=("POST",)),
    "accounts:login": Route("public"),
    "accounts:logout": Route("signs out", methods=("POST",)),
    "accounts:second_factor": Route("login"),
    "web:home": Route("login"),
    "registry:index": Route("public"),  # a redirect to the household list, for anyone
    "registry:area_tree": Route(AREA),
    "registry:area_children": Route(AREA, obj="area"),
    "registry:household_list": Route(VIEW),
    "registry:household_create": Route(EDIT, methods=("GET", "POST")),
    "registry:household_detail": Route(VIEW, obj="household", masked=True),
    "registry:household_edit": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:household_move": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:person_create": Route(EDIT, obj="household", methods=("GET", "POST")),
    "registry:person_detail": Route(VIEW, obj="person", masked=True),
    "registry:person_edit": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_move_out": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_move_in": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_tags": Route(EDIT, obj="person", methods=("GET", "POST")),
    "registry:person_reveal": Route(
        REVEAL, obj="person", methods=("GET", "POST"), kwargs={"field": "phone"}
    ),
    "audit:log": Route(AUDIT),
    "audit:verify": Route(AUDIT, methods=("POST",)),
    # --- issue 3: imports, exports, upstream lists and watch lists, reports -------------
    # --- issue 4: work orders, resident portal, notifications, Open311 -------------------
}


@dataclass(frozen=True)
class Operation:
    need: str
    obj: str | None = None  # object in the path
    kind: str = "read"  # "list", "read", "write" (object in path), "create" (object in body)
    body: str = ""  # name of a body builder below
    masked: bool = False


API_OPERATIONS: dict[str, Operation] = {
    "area_list": Operation(AREA, kind="list"),
    "area_get": Operation(AREA, obj="area"),
    "area_create": Operation(AREA_MANAGE, kind="create", body="area_create"),
    "area_update": Operation(AREA_MANAGE, obj="area", kind="write", body="rename"),
    "household_list": Operation(VIEW, kind="list"),
    "household_get": Operation(VIEW, obj="household"),
    "household_create": Operation(EDIT, kind="create", body="household_create"),
    "household_update": Operation(EDIT, obj="household", kind="write", body="notes"),
    "household_move": Operation(EDIT, obj="household", kind="write", body="household_move"),
    "person_list": Operation(VIEW, kind="list", masked=True),
    "person_get": Operation(VIEW, obj="person", masked=True),
    "person_create": Operation(EDIT, kind="create", body="person_create"),
    "person_update": Operation(EDIT, obj="person", kind="write", body="notes"),
    "person_move_out": Operation(EDIT, obj="person", kind="write", body="move_out"),
    "person_move_in": Operation(EDIT, obj="person", kind="write", body="move_in"),
    "person_tags_set": Operation(EDIT, obj="person", kind="write", body="tags"),
    "person_reveal": Operation(REVEAL, obj="person", kind="write", body="reveal"),
    "tag_list": Operation("login", kind="list"),
    # --- issue 3: imports, watch lists, reports -------------------------------------------
    # --- issue 4: work orders ---------------------------------------------------------------
}


# --- the world: two communities of one street (gongzhi.testing) and one of another -------


@dataclass
class Side:
    """The objects a request names, in or out of every non-root role's area."""

    area: Any
    grid: Any
    household: Any
    person: Any


def _third_community(world) -> Side:
    create = services.area_create
    street = create(
        actor=None, parent=world.street.parent, kind="street", name="南海街道", code="421087002"
    )
    community = create(
        actor=None, parent=street, kind="community", name="南海社区", code="421087002001"
    )
    grid = create(
        actor=None, parent=community, kind="grid", name="南海一网格", code="421087002001001"
    )
    compound = create(
        actor=None, parent=community, kind="compound", name="南海小区", code="421087002001C001"
    )
    building = create(
        actor=None, parent=grid, kind="building", name="1栋",
        code="421087002001C001B01", compound=compound,
    )  # fmt: skip
    household = services.household_create(actor=None, building=building, unit="1", room="101")
    person = services.person_create(
        actor=None,
        household=household,
        data={"name": "孙海燕", "id_number": make_id_number(), "phone": "13955550001"},
    )
    return Side(area=building, grid=grid, household=household, person=person)


@pytest.fixture
def sides(world) -> dict[str, Side]:
    inside = Side(
        area=world.building_a1,  # the lowest node every role's area contains
        grid=world.grid_a1,
        household=world.household_a1,
        person=world.person_a1,
    )
    return {"in": inside, "out": _third_community(world)}


def _client(world, principal: str) -> Client:
    client = Client()
    if principal == ANONYMOUS:
        return client
    user = world.outsider if principal == OUTSIDER else world.by_role[principal]
    client.force_login(user)
    if principal in (Role.AUDITOR, Role.SYSTEM_ADMIN):
        # These roles must pass TOTP first; mark the session as verified, as
        # django_otp.login() does after a correct code.
        device = TOTPDevice.objects.create(user=user, name="matrix", confirmed=True)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def _expected(need: str, obj: str | None, principal: str, scope: str) -> str:
    if need == "public":
        return ALLOW
    if need == "signs out":
        return LOGIN  # back to the sign-in page, signed in or not
    if principal == ANONYMOUS:
        return LOGIN
    if need == "login":
        return ALLOW
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    if obj is None:
        return ALLOW if need in abilities else DENY
    sees = AREA if obj == "area" else VIEW
    reachable = scope == "in" or principal in ROOT_ROLES
    if sees not in abilities or not reachable:
        return DENY
    return ALLOW if need in abilities else FORBID


def _outcome(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 302 and location.startswith(reverse("accounts:login")):
        return LOGIN
    if status == 401:
        return LOGIN
    if status == 404:
        return DENY
    if status == 403:
        return FORBID
    if status >= 500:
        return f"server error {status}"
    if status == 302 and location.startswith(reverse("accounts:second_factor")):
        return "sent to second factor"
    return ALLOW


def _plain_values(person) -> list[str]:
    return [person.id_number.reveal(), person.phone.reveal()]


def _in_rollback(call):
    """Run one request and undo whatever it wrote, so every request sees the same world."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


# --- UI ------------------------------------------------------------------------------------


def _ui_routes() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "api":
                    continue  # the API is checked through its schema below
                namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
                walk(entry.url_patterns, namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(prefix + entry.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_ui_route_is_in_the_matrix():
    assert _ui_routes() == set(UI_ROUTES)


def _ui_url(name: str, route: Route, side: Side) -> str:
    kwargs = dict(route.kwargs)
    if route.obj == "household":
        kwargs["household_id"] = side.household.pk
    elif route.obj == "person":
        kwargs["person_id"] = side.person.pk
    elif route.obj == "area":
        kwargs["area_id"] = side.area.pk
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_ui_routes_for(principal, world, sides):
    client = _client(world, principal)
    wrong: list[str] = []
    for name, route in UI_ROUTES.items():
        for scope in ("in", "out") if route.obj else ("in",):
            url = _ui_url(name, route, sides[scope])
            expected = _expected(route.need, route.obj, principal, scope)
            for method in route.methods:
                call = client.get if method == "GET" else client.post
                response = _in_rollback(lambda call=call, url=url: call(url))
                got = _outcome(response)
                if got != expected:
                    wrong.append(f"{method} {name} ({scope}): expected {expected}, got {got}")
                elif got == ALLOW and route.masked and method == "GET":
                    body = response.content.decode()
                    person = sides[scope].person
                    leaked = [v for v in _plain_values(person) if v in body]
                    if leaked or str(person.phone) not in body:
                        wrong.append(f"GET {name} ({scope}): personal data not masked")
            if name == "accounts:logout" and principal != ANONYMOUS:
                if _outcome(client.get(reverse("web:home"))) != LOGIN:
                    wrong.append("POST accounts:logout: still signed in afterwards")
                client = _client(world, principal)
    assert not wrong, "\n".join(wrong)


# --- API -----------------------------------------------------------------------------------


def _api_operations() -> dict[str, tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


def test_every_api_operation_is_in_the_matrix():
    assert set(_api_operations()) == set(API_OPERATIONS)


def _body(kind: str, side: Side, world) -> dict[str, Any]:
    code_suffix = "009"
    builders = {
        "area_create": lambda: {
            "parent": side.grid.pk,
            "kind": "grid",
            "name": "矩阵网格",
            "code": side.grid.code + code_suffix,
        },
        "rename": lambda: {"name": "矩阵楼"},
        "notes": lambda: {"notes": "矩阵检查"},
        "household_create": lambda: {"building": side.area.pk, "unit": "9", "room": "909"},
        "household_move": lambda: {"building": side.area.pk, "unit": "9", "room": "908"},
        "person_create": lambda: {
            "household": side.household.pk,
            "name": "矩阵",
            "id_number": make_id_number(),
        },
        "move_out": lambda: {"reason": "moved_out"},
        "move_in": lambda: {"household": side.household.pk, "relation": "other"},
        "tags": lambda: {"tags": ["disabled"]},
        "reveal": lambda: {"field": "phone", "purpose": "权限矩阵检查"},
    }
    return builders[kind]()


def _api_path(path: str, operation: Operation, side: Side) -> str:
    ids = {"area": side.area.pk, "household": side.household.pk, "person": side.person.pk}
    for name, value in ids.items():
        path = path.replace("{" + name + "_id}", str(value))
    return path


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_api_operations_for(principal, world, sides):
    client = _client(world, principal)
    operations = _api_operations()
    wrong: list[str] = []
    for op_id, operation in API_OPERATIONS.items():
        method, path = operations[op_id]
        for scope in ("in", "out"):
            side = sides[scope]
            url = _api_path(path, operation, side)
            body = json.dumps(_body(operation.body, side, world)) if operation.body else None

            def call(url=url, method=method, body=body):
                return client.generic(method, url, body or "", content_type="application/json")

            response = _in_rollback(call)
            got = _outcome(response)
            label = f"{method} {op_id} ({scope})"
            if operation.kind == "list":
                wrong += _check_list(label, response, got, operation, principal, sides)
                break  # a list names no object: one call shows both sides
            if operation.kind == "create":
                wrong += _check_create(label, response, got, operation, principal, scope)
                continue
            expected = _expected(operation.need, operation.obj, principal, scope)
            if got != expected or (got == ALLOW and not 200 <= response.status_code < 300):
                wrong.append(f"{label}: expected {expected}, got {response.status_code} ({got})")
            elif got == ALLOW and operation.masked:
                leaked = [v for v in _plain_values(side.person) if v in response.content.decode()]
                if leaked:
                    wrong.append(f"{label}: personal data not masked")
    assert not wrong, "\n".join(wrong)


def _check_list(label, response, got, operation, principal, sides) -> list[str]:
    if principal == ANONYMOUS:
        return [] if got == LOGIN else [f"{label}: expected sign in, got {got}"]
    if response.status_code != 200:
        return [f"{label}: expected 200, got {response.status_code}"]
    if operation.need == "login":
        return []
    items = response.json()["items"]
    ids = {item["id"] for item in items}
    kind = "area" if operation.need == AREA else op_kind(label)
    inside = getattr(sides["in"], kind).pk
    outside = getattr(sides["out"], kind).pk
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    problems = []
    if operation.need in abilities and inside not in ids:
        problems.append(f"{label}: an object in the role's area is missing from the list")
    if operation.need not in abilities and items:
        problems.append(f"{label}: a role without access got {len(items)} rows")
    if outside in ids and principal not in ROOT_ROLES:
        problems.append(f"{label}: an object outside the role's area is listed")
    if operation.masked:
        text = response.content.decode()
        if any(v in text for side in sides.values() for v in _plain_values(side.person)):
            problems.append(f"{label}: personal data not masked")
    return problems


def op_kind(label: str) -> str:
    return "household" if "household" in label else "person"


def _check_create(label, response, got, operation, principal, scope) -> list[str]:
    if principal == ANONYMOUS:
        return [] if got == LOGIN else [f"{label}: expected sign in, got {got}"]
    abilities = set() if principal == OUTSIDER else ABILITIES[principal]
    reachable = scope == "in" or principal in ROOT_ROLES
    should = operation.need in abilities and reachable
    created = response.status_code in (200, 201)
    if should and not created:
        return [
            f"{label}: expected to create, got {response.status_code} {response.content[:200]!r}"
        ]
    if not should and (created or response.status_code >= 500):
        return [f"{label}: expected a refusal, got {response.status_code}"]
    return []
